import { S3Client } from '@aws-sdk/client-s3';
import type { ClusterSecrets } from '../../cluster/secrets.js';
import { originRegion } from '../credentials.js';

/**
 * An S3 client for a cluster's origin (path-style, the cluster's own credentials). s3proxy does not
 * implement the x-amz-checksum-* headers newer SDKs send by default (it answers 501), so
 * checksums are sent only where S3 requires them; Content-MD5 is still verified by the origin.
 */
export function originClient(
  endpoint: string,
  secrets: Pick<ClusterSecrets, 'originAccessKey' | 'originSecretKey'>,
): S3Client {
  return new S3Client({
    endpoint,
    region: originRegion,
    forcePathStyle: true,
    credentials: {
      accessKeyId: secrets.originAccessKey,
      secretAccessKey: secrets.originSecretKey,
    },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
  });
}
