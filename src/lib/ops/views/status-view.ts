import type { ClusterCredentials, ClusterUrl } from '../status.js';

/** `flix status --urls`: what each address is, then the address. */
export function renderUrls(urls: readonly ClusterUrl[]): string {
  const width = Math.max(...urls.map((u) => u.what.length), 0);
  return urls.map((u) => `${u.what.padEnd(width)}  ${u.url}`).join('\n');
}

/** The engine accounts of `flix status --credentials` for a person. */
export function renderCredentials(c: ClusterCredentials): string {
  return [
    `origin  ${c.origin.endpoint ?? '-'}  access key ${c.origin.accessKeyId}  secret ${c.origin.secretAccessKey}  region ${c.origin.region}  bucket ${c.origin.bucket}`,
    `mysql   ${c.mysql.endpoint ?? '-'}  user ${c.mysql.user}  password ${c.mysql.password}  database ${c.mysql.database}  (root, local socket only: ${c.mysql.rootPassword})`,
    c.note,
  ].join('\n');
}
