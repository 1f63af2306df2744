import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The one task queue every Gatehouse workflow and activity runs on (SPEC §8). */
export const TASK_QUEUE = 'gatehouse';

export const accessRequestWorkflowId = (requestId: string): string => `access-request-${requestId}`;
export const temporaryAccountWorkflowId = (accountId: string): string => `temporary-account-${accountId}`;
export const riskEventWorkflowId = (eventUuid: string): string => `risk-event-${eventUuid}`;
/** The per-user serializer of risk events (signal-with-start): one per Okta user id. */
export const userRiskWorkflowId = (oktaUserId: string): string => `user-risk-${oktaUserId}`;
export const accessReviewWorkflowId = (reviewId: string): string => `access-review-${reviewId}`;

/** The request id is the workflow id without its prefix. */
export const requestIdFromWorkflowId = (workflowId: string): string => workflowId.replace(/^access-request-/, '');

/**
 * Search attributes Gatehouse keeps current on every workflow, so a request can be found in the
 * Web UI by requester, resource, status or expiry. Registered by dev mode and tests; production
 * namespaces need them created once (see README).
 */
export const SA = {
  kind: defineSearchAttributeKey('GatehouseKind', SearchAttributeType.KEYWORD),
  status: defineSearchAttributeKey('GatehouseStatus', SearchAttributeType.KEYWORD),
  requester: defineSearchAttributeKey('GatehouseRequester', SearchAttributeType.KEYWORD),
  resource: defineSearchAttributeKey('GatehouseResource', SearchAttributeType.KEYWORD),
  expiresAt: defineSearchAttributeKey('GatehouseExpiresAt', SearchAttributeType.DATETIME),
} as const;

export const SEARCH_ATTRIBUTES = Object.values(SA);

export const KIND_ACCESS_REQUEST = 'access_request';
