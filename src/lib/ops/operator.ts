import { clusterSecrets } from '../cluster/secrets.js';
import { type HttpAnswer, type HttpCall, httpJson } from '../platform/http/client.js';
import { InternalSigner, OPERATOR } from '../platform/internal-auth.js';

/**
 * The operator's commands speak to the cluster's services as `operator`, with the cluster's
 * internal token: only someone who can read the cluster's secrets (the user who runs it) can
 * create users, change plans, switch gateway filters or read a service's status.
 */
const signers = new Map<string, InternalSigner>();

export async function operatorSigner(cluster: string): Promise<InternalSigner> {
  let s = signers.get(cluster);
  if (!s) {
    s = new InternalSigner((await clusterSecrets(cluster)).internalKey, OPERATOR);
    signers.set(cluster, s);
  }
  return s;
}

/** One call to a service of the cluster as the operator. */
export async function operatorCall<T = unknown>(
  cluster: string,
  url: string,
  call: HttpCall = {},
): Promise<HttpAnswer<T>> {
  const signer = await operatorSigner(cluster);
  return httpJson<T>(url, { ...call, headers: { ...call.headers, ...signer.headers() } });
}
