import type { RequestState } from '../../../workflows/access-request/types';
import type { SlackDeps } from '../deps';
import { refusalText, tellEphemerally } from '../replies';
import type { ClickMetadata } from '../modals';
import { whoAndWhat, type Click } from './click';

/**
 * The request's live state for a pre-check, within the time a modal can still be opened (Slack's
 * trigger ids last 3 s). Undefined when only visibility answered (no worker): then the Update
 * alone decides.
 */
export async function liveState(deps: SlackDeps, requestId: string): Promise<RequestState | undefined> {
  const loaded = await deps.service.loadState(requestId, 1500);
  return loaded.source === 'query' || loaded.source === 'result' ? loaded.state : undefined;
}

/**
 * Who clicked and the live state of the request they clicked on, for a button that opens a
 * modal. When either can't be had, the clicker has been told why and the result is undefined.
 */
export async function clickedRequest(
  deps: SlackDeps,
  click: Click,
  action: string,
): Promise<{ who: { login: string; meta: ClickMetadata }; state: RequestState } | undefined> {
  const who = await whoAndWhat(deps, click);
  if (!who) return undefined;
  let state: RequestState | undefined;
  try {
    state = await liveState(deps, who.meta.requestId);
  } catch (err) {
    await tellEphemerally(click.respond, deps.logger, refusalText(action, err));
    return undefined;
  }
  if (!state) {
    await tellEphemerally(click.respond, deps.logger, ':warning: Gatehouse could not read this request just now. Please try again in a moment.');
    return undefined;
  }
  return { who, state };
}
