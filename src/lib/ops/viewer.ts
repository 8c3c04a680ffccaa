import { publicApiUrl } from '../cluster/endpoints.js';
import { FlixError } from '../core/errors.js';
import { resolveClusterName } from '../core/paths.js';
import { readUserToken } from '../player/client/api.js';
import { openShare, type Viewer } from '../player/client/viewer-api.js';
import { runningClusterEndpoints } from '../runtime/index.js';
import { shareTokenOf } from '../services/playback/contract.js';

/**
 * Who a viewer command acts as: the public API of the running cluster and a user's token (from
 * `--user`'s token file, or `--token`).
 */
export async function viewerOf(flags: {
  name?: string;
  user?: string;
  token?: string;
}): Promise<Viewer & { cluster: string }> {
  if (!flags.token && !flags.user) {
    throw new FlixError('say who is asking: --user <user> (or --token)', {
      code: 'usage',
      nextStep: '`flix users create alice` makes a user and keeps its token; then pass --user alice',
    });
  }
  const cluster = resolveClusterName(flags.name);
  const token = flags.token ?? (await readUserToken(cluster, flags.user as string));
  const api = publicApiUrl(await runningClusterEndpoints(cluster));
  if (!api) {
    throw new FlixError(`cluster '${cluster}' runs no ELB, so there is no public API`, {
      code: 'invalidConfig',
      nextStep: 'add services.elb to the cluster file and `flix up` again',
    });
  }
  return { api, token, user: flags.user, cluster };
}

/** The title a share link names, as the API checks it for this viewer (forged 403, expired 410). */
export async function titleOfShareLink(
  viewer: Viewer,
  link: string,
): Promise<{ titleId: string; title: string; sharedBy: string }> {
  return openShare(viewer, shareTokenOf(link));
}
