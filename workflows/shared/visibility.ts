/**
 * What Temporal visibility knows about Gatehouse workflows, in one module used by the API, the
 * reconciliation and the metrics: the status sets and the query strings (one quoting rule).
 */
import { SA } from '../constants';

export const KIND = {
  accessRequest: 'access_request',
  temporaryAccount: 'temporary_account',
  riskEvent: 'risk_event',
  userRisk: 'user_risk',
  accessReview: 'access_review',
} as const;

/** A request in one of these holds (or is about to hold) the resource: a second one is a conflict. */
export const OPEN_REQUEST_STATUSES = ['pending_approval', 'provisioning', 'active', 'revoking'] as const;
/** Statuses in which a grant is in force (or being given or taken back). */
export const GRANT_STATUSES = ['provisioning', 'active', 'revoking'] as const;
export const FINAL_REQUEST_STATUSES = ['expired', 'revoked', 'denied', 'approval_timed_out', 'cancelled', 'failed'] as const;

/** A visibility string literal. Values come from validated input; anything quote-like is refused. */
export function quote(value: string): string {
  // eslint-disable-next-line no-control-regex -- NUL is exactly what is refused
  if (!/^[^"'\\\n\r\u0000]*$/.test(value)) throw new Error('refusing to put a quote, backslash, newline or NUL in a visibility query');
  return `"${value}"`;
}

const list = (values: readonly string[]) => `(${values.map(quote).join(', ')})`;

export interface RequestFilter {
  status?: string;
  statuses?: readonly string[];
  requester?: string;
  resource?: string;
  resources?: readonly string[];
  running?: boolean;
}

/** The visibility query for access requests matching `f` (each filter one AND clause). */
export function requestQuery(f: RequestFilter = {}): string {
  const clauses = [`${SA.kind.name} = ${quote(KIND.accessRequest)}`];
  if (f.status) clauses.push(statusClause(f.status));
  if (f.statuses) clauses.push(`${SA.status.name} IN ${list(f.statuses)}`);
  if (f.requester) clauses.push(`${SA.requester.name} = ${quote(f.requester)}`);
  if (f.resource) clauses.push(`${SA.resource.name} = ${quote(f.resource)}`);
  if (f.resources) clauses.push(`${SA.resource.name} IN ${list(f.resources)}`);
  if (f.running) clauses.push('ExecutionStatus = "Running"');
  return clauses.join(' AND ');
}

/** Closes that are not the workflow's own end: the request reads `failed` (or, with a lease, per the ledger). */
const ABNORMAL_CLOSES = ['Terminated', 'Failed', 'TimedOut', 'Canceled'];

/**
 * A request is in status `s` as the API tells it: an open status only while the workflow runs (a
 * terminated one keeps its last search attribute), and `failed` also for a workflow closed abnormally.
 */
function statusClause(s: string): string {
  const sa = `${SA.status.name} = ${quote(s)}`;
  if ((OPEN_REQUEST_STATUSES as readonly string[]).includes(s)) return `${sa} AND ExecutionStatus = "Running"`;
  if (s === 'failed') return `(${sa} OR ExecutionStatus IN ${list(ABNORMAL_CLOSES)})`;
  return sa;
}

/** The visibility query for temporary accounts: the manager is GatehouseRequester, the login GatehouseResource. */
export function accountQuery(f: { manager?: string; status?: string } = {}): string {
  const clauses = [`${SA.kind.name} = ${quote(KIND.temporaryAccount)}`];
  if (f.manager) clauses.push(`${SA.requester.name} = ${quote(f.manager)}`);
  if (f.status) clauses.push(statusClause(f.status));
  return clauses.join(' AND ');
}

/** Running temporary accounts whose login (GatehouseResource, SPEC §11) is `login`: risk response closes them. */
export function temporaryAccountsOfLoginQuery(login: string): string {
  return [`${SA.kind.name} = ${quote(KIND.temporaryAccount)}`, `${SA.resource.name} = ${quote(login)}`, 'ExecutionStatus = "Running"'].join(' AND ');
}

/** Users whose risk serializer holds them at one of `levels` (GatehouseStatus: `high`, `medium`, `low`). */
export function usersAtRiskQuery(f: { levels: readonly string[]; running?: boolean }): string {
  const clauses = [`${SA.kind.name} = ${quote(KIND.userRisk)}`, `${SA.status.name} IN ${list(f.levels)}`];
  if (f.running) clauses.push('ExecutionStatus = "Running"');
  return clauses.join(' AND ');
}

/** Access reviews in `status` (`pending` until decided or timed out). */
export function accessReviewQuery(f: { status?: string; running?: boolean } = {}): string {
  const clauses = [`${SA.kind.name} = ${quote(KIND.accessReview)}`];
  if (f.status) clauses.push(`${SA.status.name} = ${quote(f.status)}`);
  if (f.running) clauses.push('ExecutionStatus = "Running"');
  return clauses.join(' AND ');
}
