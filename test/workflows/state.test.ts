import * as S from '../../workflows/access-request/state';
import * as W from '../../workflows/access-request/wording';
import { Rejection } from '../../workflows/access-request/errors';
import type { RequestState, ResolvedRequest } from '../../workflows/access-request/types';

const t0 = Date.parse('2026-11-22T10:00:00Z');
const resolved = (over: Partial<ResolvedRequest> = {}): ResolvedRequest => ({
  resourceName: 'Production database admin',
  oktaGroupId: '00g_prod_db_admin',
  requesterUserId: '00u_alice',
  requesterDisplayName: 'Alice Archer',
  durationMs: 3_600_000,
  maxDurationMs: 4 * 3_600_000,
  maxExtensions: 2,
  maxTotalMs: 8 * 3_600_000,
  autoApprove: false,
  steps: [
    { label: 'manager', approvers: ['bob@example.com'], count: 1 },
    { label: 'owners', approvers: ['carol@example.com', 'frank@example.com'], count: 2 },
  ],
  approvalTimeoutMs: 86_400_000,
  reminderAfterMs: 1_800_000,
  expiryWarningMs: 600_000,
  owners: ['carol@example.com'],
  ...over,
});
const pending = (over: Partial<ResolvedRequest> = {}): RequestState => ({
  ...S.initialState({ requestId: 'r1', requester: 'alice@example.com', resource: 'prod-db-admin' }, t0),
  resolved: resolved(over),
});
const active = (): RequestState => {
  const s = pending();
  s.status = 'provisioning';
  S.applyGrant(s, t0, false);
  return s;
};

describe('approval decisions', () => {
  it('rejects the requester, strangers, approvers of a later step, and repeat deciders', () => {
    const s = pending();
    expect(S.checkDecision(s, { approver: 'alice@example.com' })?.type).toBe(Rejection.SelfApproval);
    expect(S.checkDecision(s, { approver: 'ALICE@example.com ' })?.type).toBe(Rejection.SelfApproval);
    expect(S.checkDecision(s, { approver: 'erin@example.com' })?.type).toBe(Rejection.NotAnApprover);
    expect(S.checkDecision(s, { approver: 'carol@example.com' })?.type).toBe(Rejection.NotAnApprover);
    expect(S.checkDecision(s, { approver: 'bob@example.com' })).toBeNull();
    S.applyApproval(s, { approver: 'bob@example.com' }, t0);
    expect(s.currentStep).toBe(1);
    expect(S.checkDecision(s, { approver: 'bob@example.com' })?.type).toBe(Rejection.AlreadyDecided);
  });

  it('needs count distinct approvers before a step completes, then provisions after the last step', () => {
    const s = pending();
    S.applyApproval(s, { approver: 'bob@example.com' }, t0);
    S.applyApproval(s, { approver: 'carol@example.com' }, t0);
    expect(s.status).toBe('pending_approval');
    expect(S.checkDecision(s, { approver: 'carol@example.com' })?.type).toBe(Rejection.AlreadyDecided);
    S.applyApproval(s, { approver: 'frank@example.com', via: 'slack' }, t0);
    expect(s.status).toBe('provisioning');
    expect(s.approvals.map((a) => [a.step, a.approver, a.via])).toEqual([
      [1, 'bob@example.com', 'http'],
      [2, 'carol@example.com', 'http'],
      [2, 'frank@example.com', 'slack'],
    ]);
  });

  it('ends the request on one denial and then refuses every decision', () => {
    const s = pending();
    S.applyDenial(s, { approver: 'bob@example.com', reason: 'not now' }, t0);
    expect(s.status).toBe('denied');
    expect(s.endReason).toContain('not now');
    expect(S.checkDecision(s, { approver: 'bob@example.com' })?.type).toBe(Rejection.WrongState);
  });

  it('refuses decisions before the policy is resolved', () => {
    const s = S.initialState({ requestId: 'r1', requester: 'alice@example.com', resource: 'x' }, t0);
    expect(S.checkDecision(s, { approver: 'bob@example.com' })?.type).toBe(Rejection.NotReady);
  });
});

describe('cancel and revoke', () => {
  it('lets only the requester cancel, only while pending', () => {
    const s = pending();
    expect(S.checkCancel(s, { actor: 'bob@example.com' })?.type).toBe(Rejection.NotRequester);
    expect(S.checkCancel(s, { actor: 'alice@example.com' })).toBeNull();
    expect(S.checkCancel(active(), { actor: 'alice@example.com' })?.type).toBe(Rejection.WrongState);
  });

  it('lets the requester, an approver, an owner or the system revoke an active grant, once', () => {
    const s = active();
    expect(S.checkRevoke(s, { actor: 'erin@example.com' })?.type).toBe(Rejection.NotAllowed);
    for (const actor of ['alice@example.com', 'bob@example.com', 'carol@example.com', 'system:risk']) expect(S.checkRevoke(s, { actor })).toBeNull();
    S.applyRevokeRequest(s, { actor: 'alice@example.com' }, t0);
    expect(S.checkRevoke(s, { actor: 'alice@example.com' })?.type).toBe(Rejection.WrongState);
    expect(S.checkRevoke(pending(), { actor: 'alice@example.com' })?.type).toBe(Rejection.WrongState);
  });
});

describe('extensions', () => {
  it('adds the duration to the current expiry within maxExtensions and maxTotal', () => {
    const s = active();
    expect(S.checkExtend(s, { actor: 'bob@example.com', durationMs: 3_600_000 })?.type).toBe(Rejection.NotRequester);
    expect(S.checkExtend(s, { actor: 'alice@example.com', durationMs: 5 * 3_600_000 })?.type).toBe(Rejection.BeyondPolicy);
    S.applyExtension(s, { actor: 'alice@example.com', durationMs: 4 * 3_600_000 }, t0);
    expect(s.expiresAt).toBe(new Date(t0 + 5 * 3_600_000).toISOString());
    // 5h granted; 4h more would make 9h > maxTotal 8h.
    expect(S.checkExtend(s, { actor: 'alice@example.com', durationMs: 4 * 3_600_000 })?.message).toMatch(/9h in total.*8h/);
    S.applyExtension(s, { actor: 'alice@example.com', durationMs: 3 * 3_600_000 }, t0);
    expect(S.checkExtend(s, { actor: 'alice@example.com', durationMs: 1000 })?.message).toMatch(/no more extensions/);
  });

  it('refuses extending a request that is not active', () => {
    expect(S.checkExtend(pending(), { actor: 'alice@example.com', durationMs: 1000 })?.type).toBe(Rejection.WrongState);
    expect(S.checkExtend(active(), { actor: 'alice@example.com', durationMs: -5 })?.type).toBe(Rejection.InvalidInput);
  });
});

describe('timers', () => {
  it('warns once per expiry, and not at all for a grant shorter than the warning window', () => {
    const s = active();
    expect(S.expiryWarningDueAt(s)).toBe(t0 + 3_600_000 - 600_000);
    s.expiryWarnedFor = s.expiresAt;
    expect(S.expiryWarningDueAt(s)).toBeUndefined();
    S.applyExtension(s, { actor: 'alice@example.com', durationMs: 3_600_000 }, t0);
    expect(S.expiryWarningDueAt(s)).toBe(t0 + 2 * 3_600_000 - 600_000);
    const short = pending({ durationMs: 300_000 });
    short.status = 'provisioning';
    S.applyGrant(short, t0, false);
    expect(S.expiryWarningDueAt(short)).toBeUndefined();
  });

  it('backs reminders off: 1×, then 2×, 4×, 8× the interval, capped', () => {
    const at = [0, 1, 2, 3, 4].map((n) => S.nextReminderAt(0, 10, n));
    expect(at).toEqual([10, 30, 70, 150, 230]);
  });

  it('formats durations for people', () => {
    expect([W.formatDuration(7_200_000), W.formatDuration(90_000), W.formatDuration(1500), W.formatDuration(86_400_000)]).toEqual(['2h', '90s', '1500ms', '1d']);
    expect(W.summaryLine('alice@example.com', 'prod-db-admin', 7_200_000)).toBe('alice@example.com → prod-db-admin for 2h');
  });
});
