import type { RequestState } from '../../../workflows/access-request/types';
import type { SlackDeps } from '../deps';

/**
 * The request's live state for a pre-check, within the time a modal can still be opened (Slack's
 * trigger ids last 3 s). Undefined when only visibility answered (no worker): then the Update
 * alone decides.
 */
export async function liveState(deps: SlackDeps, requestId: string): Promise<RequestState | undefined> {
  const loaded = await deps.service.loadState(requestId, 1500);
  return loaded.source === 'query' || loaded.source === 'result' ? loaded.state : undefined;
}
