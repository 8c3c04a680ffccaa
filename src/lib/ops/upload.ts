import { join } from 'node:path';
import { FlixError } from '../core/errors.js';
import { clusterPaths } from '../core/paths.js';
import {
  type UploadMetadata,
  type UploadOutcome,
  uploadFile,
  uploadStatus,
} from '../player/client/upload.js';
import type { Viewer } from '../player/client/viewer-api.js';
import type { UploadView } from '../services/uploads/contract.js';

export interface ViewerUploadResult extends UploadOutcome {
  seconds: number;
  /** with --wait: the upload as the service reports it once its title is ready */
  final: UploadView | null;
}

/**
 * `flix upload`: a viewer's file through the public API (tus, resumable: the unfinished uploads'
 * URLs are kept in the cluster's directory), then, with `wait`, followed until its title is
 * ready or failed.
 */
export async function viewerUpload(
  viewer: Viewer & { cluster: string },
  file: string,
  meta: UploadMetadata,
  opts: {
    wait: boolean;
    timeoutMs: number;
    chunkBytes?: number;
    onProgress?: (sent: number, total: number) => void;
    onStatus?: (u: UploadView) => void;
    signal?: AbortSignal;
  },
): Promise<ViewerUploadResult> {
  const started = performance.now();
  const outcome = await uploadFile(viewer, file, meta, {
    resumeFile: join(clusterPaths(viewer.cluster).root, 'viewer-uploads.json'),
    chunkBytes: opts.chunkBytes,
    onProgress: opts.onProgress,
    signal: opts.signal,
  });
  let final: UploadView | null = null;
  if (opts.wait) {
    const deadline = Date.now() + opts.timeoutMs;
    for (;;) {
      const u = await uploadStatus(viewer, outcome.uploadId);
      opts.onStatus?.(u);
      if (u.titleStatus === 'ready') {
        final = u;
        break;
      }
      if (
        u.titleStatus === 'failed' ||
        u.state === 'refused' ||
        (u.state === 'accepted' && u.titleStatus === null)
      ) {
        throw new FlixError(
          `the title of upload ${u.id} ${u.titleStatus === null ? 'was deleted' : 'failed in ingest'}`,
          {
            code: 'jobFailed',
            details: u.error ?? undefined,
            nextStep: '`flix titles show <title>` (as the operator) says why',
          },
        );
      }
      if (Date.now() > deadline || opts.signal?.aborted) {
        throw new FlixError(`title ${outcome.titleId} is not ready yet`, {
          code: 'timeout',
          nextStep: `it keeps going in the cluster: \`flix upload status ${outcome.uploadId} --user ${viewer.user ?? '<user>'}\``,
        });
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  return { ...outcome, seconds: (performance.now() - started) / 1000, final };
}
