/**
 * Fixed credentials of a local cluster. Every engine listens on loopback only; these exist so
 * that clients authenticate the way they would against a real deployment.
 */
export const mysqlCredentials = { user: 'flix', password: 'flix', database: 'flix' } as const;
export const originCredentials = {
  accessKeyId: 'flix',
  secretAccessKey: 'flix-secret-key',
  region: 'us-east-1',
} as const;
/** The bucket the origin serves and the edges proxy. */
export const originBucket = 'flix-origin';
