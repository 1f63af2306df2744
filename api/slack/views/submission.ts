/** What the view listeners share: Bolt's arguments, form values, and how to answer the user. */
import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { Logger } from 'pino';
import { safely } from '../replies';

export type ViewSubmission = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;
/** The parts of Bolt's arguments the listeners use (tests pass fakes of these). */
export type Submission = Pick<ViewSubmission, 'ack' | 'body' | 'view' | 'client'>;

type Values = ViewSubmitAction['view']['state']['values'];

/** A text input's value (block id = action id), trimmed; '' when empty. */
export const textValue = (values: Values, field: string): string => values[field]?.[field]?.value?.trim() ?? '';
/** A select's chosen value. */
export const selectedValue = (values: Values, field: string): string => values[field]?.[field]?.selected_option?.value ?? '';

/**
 * A modal has no response_url: answer in the channel the modal was opened from (ephemeral), or
 * else in the user's DM with the app. A Slack failure here never undoes the decision.
 */
export async function tellUser(sub: Pick<Submission, 'client'>, logger: Logger, user: string, channel: string | undefined, text: string): Promise<void> {
  await safely(logger, 'tell user', async () => {
    if (channel) {
      try {
        await sub.client.chat.postEphemeral({ channel, user, text });
        return;
      } catch {
        // not in that channel any more: fall back to the DM
      }
    }
    await sub.client.chat.postMessage({ channel: user, text });
  });
}
