/**
 * Why an Update on a temporary account was refused: the same `type`s as access requests, so the
 * API maps them with one table (api/errors.ts) and Slack shows the message.
 */
export { Rejection, type RejectionReason, type RejectionType } from '../access-request/errors';

/** Activity failure types the temporary-account workflow reacts to. */
export const AccountFailure = {
  /** The login chosen is held by a user this account did not make: choose again. */
  LoginTaken: 'LoginTaken',
  /** Nothing in the names survives transliteration to ASCII. */
  NoLatinName: 'NoLatinName',
} as const;
