import { clusterSecrets } from '../cluster/secrets.js';
import { FlixError } from '../core/errors.js';
import { ConnectError, type HttpAnswer, type HttpCall, httpJson } from '../platform/http/client.js';
import { readErrorBody } from '../platform/http/error-body.js';
import { InternalSigner, OPERATOR } from '../platform/internal-auth.js';
import { inOrder, retryElsewhere } from '../platform/retry-elsewhere.js';
import { runningClusterEndpoints } from '../runtime/index.js';

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

/**
 * An operator's call to one of a service's instances: straight to an instance from the cluster
 * plan (the first that answers), not through the gateway. The answer's body when it is a
 * success; else the service's own error message, as the FlixError its status stands for.
 */
export async function serviceCall<T>(
  cluster: string,
  service: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const endpoints = await runningClusterEndpoints(cluster);
  const instances = endpoints.services.filter((s) => s.service === service);
  if (instances.length === 0) {
    throw new FlixError(`cluster '${cluster}' runs no ${service} service`, {
      code: 'invalidConfig',
      nextStep: `set services.${service}.perZone to 1 or more in the cluster file`,
    });
  }
  const answer = await retryElsewhere(instances[0] as (typeof instances)[number], {
    next: inOrder(instances),
    tries: instances.length,
    retryable: (error) => error instanceof ConnectError,
    attempt: (s) =>
      operatorCall<T>(cluster, `${s.url}${path}`, { method, body, signal: AbortSignal.timeout(5000) }),
  }).catch((error: unknown) => {
    throw new FlixError(`no ${service} service instance answered (${(error as Error)?.message})`, {
      code: 'componentFailed',
      nextStep: '`flix status` shows which components are unhealthy',
    });
  });
  if (answer.status < 300) return answer.body;
  const e = readErrorBody(answer.body);
  throw new FlixError(e?.message || `${service} service answered ${answer.status}`, {
    code:
      answer.status === 404
        ? 'notFound'
        : answer.status === 409
          ? 'conflict'
          : answer.status === 400
            ? 'invalidInput'
            : 'componentFailed',
    details: e?.code,
  });
}
