/**
 * The fixed names of a local cluster's engine accounts. Their passwords and keys are made per
 * cluster (see the cluster's secrets); every engine listens on loopback only.
 */
export const originRegion = 'us-east-1';
/** The bucket the origin serves and the edges proxy. */
export const originBucket = 'flix-origin';
/** Viewers' resumable uploads while they arrive (the uploads service's tus store), beside the origin's. */
export const uploadsBucket = 'flix-uploads';
/** The log archive (`logs/<yyyy>/<mm>/<dd>/<hh>/<component>.jsonl.gz`), kept apart from what edges serve. */
export const logsBucket = 'flix-logs';
