/**
 * Why an update was refused. The `type` travels to clients in the ApplicationFailure; the API maps
 * it to an HTTP status and Slack shows the message. Part of the wire contract.
 */
export const Rejection = {
  NotAnApprover: 'NotAnApprover', // 403
  SelfApproval: 'SelfApproval', // 403
  NotRequester: 'NotRequester', // 403
  NotAllowed: 'NotAllowed', // 403
  AlreadyDecided: 'AlreadyDecided', // 409
  WrongState: 'WrongState', // 409
  NotReady: 'NotReady', // 409, retry shortly
  BeyondPolicy: 'BeyondPolicy', // 422
  InvalidInput: 'InvalidInput', // 400
} as const;
export type RejectionType = (typeof Rejection)[keyof typeof Rejection];

export interface RejectionReason {
  type: RejectionType;
  message: string;
}

/** Activity failure types the workflow reacts to. */
export const FailureType = {
  OktaRejected: 'OktaRejected',
} as const;
