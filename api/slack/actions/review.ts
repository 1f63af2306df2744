/**
 * Keep / Revoke on an access review (`review_keep`, `review_revoke`; the value is the review id,
 * SPEC §12). The review workflow's validator decides who may: the manager or a reviewer; anyone
 * else is told why, only them.
 */
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { ActionId } from '../../../activities/slack-messages';
import { REVIEW_ID_PATTERN } from '../../risk';
import type { SlackDeps } from '../deps';
import { refusalText, refusedText, tellEphemerally } from '../replies';
import { clickMetadata, clickUpdateId, type Click } from './click';

export async function onReview(deps: SlackDeps, click: Click, decision: 'keep' | 'revoke'): Promise<void> {
  await click.ack();
  const reviewId = String(click.action.value ?? '').toLowerCase();
  const say = (text: string) => tellEphemerally(click.respond, deps.logger, text);
  if (!REVIEW_ID_PATTERN.test(reviewId) || !deps.risk) return say(':warning: This button does not belong to a Gatehouse access review.');
  let who: Awaited<ReturnType<SlackDeps['identity']['whoIs']>>;
  try {
    who = await deps.identity.whoIs(click.body.user.id, click.body.team?.id ?? undefined);
  } catch {
    return say(':warning: Gatehouse could not check who you are just now. Please try again in a moment.');
  }
  if ('refused' in who) return say(refusedText(who.refused));
  try {
    const review = await deps.risk.decideReview(reviewId, { reviewer: who.login, decision, via: 'slack' }, clickUpdateId(`review_${decision}`, click.body.user.id, clickMetadata(click)));
    deps.logger.info({ reviewId, reviewer: who.login, decision }, 'access review decided from Slack');
    // The workflow updates the message itself (the buttons go); this is the clicker's receipt.
    await say(`:white_check_mark: You chose to ${decision} ${review.login}'s access to ${review.app.name}.`);
  } catch (err) {
    deps.logger.info({ reviewId, reviewer: who.login, err: err instanceof Error ? err.message : String(err) }, 'Slack review decision refused');
    await say(refusalText('decide this review', err));
  }
}

export function register(app: App, deps: SlackDeps): void {
  app.action<BlockAction<ButtonAction>>(ActionId.ReviewKeep, (args) => onReview(deps, args, 'keep'));
  app.action<BlockAction<ButtonAction>>(ActionId.ReviewRevoke, (args) => onReview(deps, args, 'revoke'));
}
