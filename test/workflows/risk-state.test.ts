/** The rules of risk response (workflows/risk/state.ts) and its words (wording.ts), without Temporal. */
import fc from 'fast-check';
import { loadPolicy, parsePolicy, PolicyError } from '../../activities/policy/load';
import { policySnapshot } from '../../api/risk';
import type { RiskEventInput, RiskLevel } from '../../workflows/risk/event';
import * as S from '../../workflows/risk/state';
import type { HighRiskAppRule, UserRiskState } from '../../workflows/risk/types';
import * as W from '../../workflows/risk/wording';

const NOW = Date.parse('2026-11-30T12:00:00Z');
let n = 0;
const levelEvent = (level: RiskLevel, published: string, over: Partial<RiskEventInput> = {}): RiskEventInput => ({
  uuid: `ev-${++n}`,
  eventType: 'user.risk.detect',
  published,
  kind: 'level',
  userId: '00u_alice',
  login: 'alice@example.com',
  level,
  ...over,
});
const fresh = (): UserRiskState => S.initialUserRisk({ userId: '00u_alice', login: 'alice@example.com' });

/** What the workflow does with a level event: stale and unchanged change nothing but the record. */
function apply(state: UserRiskState, e: RiskEventInput): S.LevelPlan {
  const plan = S.planLevelChange(state, e);
  S.recordEvent(state, e, plan.kind === 'changed' ? 'applied' : plan.kind, NOW);
  if (plan.kind !== 'stale') S.applyLevel(state, e, NOW);
  return plan;
}

describe('level events in published order', () => {
  it('a late LOW delivered after a newer HIGH changes nothing, and is recorded', () => {
    const s = fresh();
    expect(apply(s, levelEvent('HIGH', '2026-11-30T10:00:02Z'))).toMatchObject({ kind: 'changed', from: 'LOW', to: 'HIGH', enterHigh: true });
    const late = levelEvent('LOW', '2026-11-30T10:00:01Z');
    expect(apply(s, late)).toEqual({ kind: 'stale', lastPublished: '2026-11-30T10:00:02Z' });
    expect(s.level).toBe('HIGH');
    expect(s.events.at(-1)).toMatchObject({ uuid: late.uuid, outcome: 'stale' });
    expect(S.isDuplicate(s, late.uuid)).toBe(true);
  });

  it('says what each change asks for', () => {
    const s = fresh();
    expect(apply(s, levelEvent('MEDIUM', '2026-11-30T10:00:00Z'))).toMatchObject({ enterMedium: true, leaveMedium: false, enterHigh: false });
    expect(apply(s, levelEvent('HIGH', '2026-11-30T10:00:01Z'))).toMatchObject({ from: 'MEDIUM', to: 'HIGH', enterHigh: true, leaveMedium: true });
    expect(apply(s, levelEvent('HIGH', '2026-11-30T10:00:02Z'))).toEqual({ kind: 'unchanged', level: 'HIGH' });
    expect(apply(s, levelEvent('LOW', '2026-11-30T10:00:03Z'))).toMatchObject({ from: 'HIGH', to: 'LOW', leaveHigh: true, enterHigh: false });
    expect(s).toMatchObject({ level: 'LOW', previousLevel: 'HIGH', lastPublished: '2026-11-30T10:00:03Z' });
  });

  it('ends at the level of the newest event whatever the delivery order (fast-check)', () => {
    const levels = fc.constantFrom<RiskLevel>('LOW', 'MEDIUM', 'HIGH');
    fc.assert(
      fc.property(fc.array(levels, { minLength: 1, maxLength: 12 }), fc.infiniteStream(fc.nat()), (seq, rnd) => {
        const events = seq.map((l, i) => levelEvent(l, new Date(NOW + i * 1000).toISOString()));
        const delivered = [...events];
        for (let i = delivered.length - 1; i > 0; i--) {
          const j = rnd.next().value % (i + 1);
          [delivered[i], delivered[j]] = [delivered[j]!, delivered[i]!];
        }
        const s = fresh();
        for (const e of delivered) apply(s, e);
        return s.level === events.at(-1)!.level && s.lastPublished === events.at(-1)!.published;
      }),
      { numRuns: 500, seed: 3 },
    );
  });

  it('keeps its records bounded', () => {
    const s = fresh();
    for (let i = 0; i < 700; i++) {
      apply(s, levelEvent(i % 2 ? 'LOW' : 'MEDIUM', new Date(NOW + i).toISOString()));
      S.recordAction(s, 'x', 'y', NOW);
    }
    expect(s.seen.length).toBe(500);
    expect(s.events.length).toBe(50);
    expect(s.actions.length).toBe(200);
  });
});

const PAM: HighRiskAppRule = { id: '0oa_pam', name: 'PAM', onHigh: 'rollback', reviewTimeoutMs: 1000, onTimeout: 'revoke' };
const PAYROLL: HighRiskAppRule = { id: '0oa_payroll', name: 'Payroll', onHigh: 'review', reviewTimeoutMs: 3_600_000, onTimeout: 'keep' };

describe('high-risk app assignments', () => {
  it('allow at LOW, flag at MEDIUM, the app rule at HIGH', () => {
    expect(S.appAssignmentOutcome('LOW', PAM)).toBe('allow');
    expect(S.appAssignmentOutcome('MEDIUM', PAM)).toBe('flag');
    expect(S.appAssignmentOutcome('HIGH', PAM)).toBe('rollback');
    expect(S.appAssignmentOutcome('HIGH', PAYROLL)).toBe('review');
  });
});

describe('review decisions', () => {
  const review = () => ({
    ...S.initialReview({ reviewId: 'r1', userId: '00u_alice', login: 'alice@example.com', app: PAYROLL, level: 'HIGH' as const, eventUuid: 'e1', securityChannel: '#s', openedAt: '2026-11-30T12:00:00.000Z' }),
    manager: 'bob@example.com',
    reviewers: ['dave@example.com'],
  });

  it('only the manager or a reviewer may decide, once', () => {
    const r = review();
    expect(r.dueAt).toBe('2026-11-30T13:00:00.000Z');
    expect(S.checkReviewDecision(r, { reviewer: 'erin@example.com', decision: 'revoke' })).toMatchObject({ type: 'NotAllowed', message: expect.stringContaining('bob@example.com') });
    expect(S.checkReviewDecision(r, { reviewer: 'alice@example.com', decision: 'keep' })).toMatchObject({ type: 'NotAllowed', message: 'nobody may review their own access' });
    expect(S.checkReviewDecision(r, { reviewer: 'BOB@example.com', decision: 'revoke' })).toBeNull();
    expect(S.checkReviewDecision(r, { reviewer: 'dave@example.com', decision: 'keep' })).toBeNull();
    expect(S.checkReviewDecision(r, { reviewer: 'bob@example.com', decision: 'maybe' as 'keep' })).toMatchObject({ type: 'InvalidInput' });
    expect(S.checkReviewDecision(r, { reviewer: 'b\ud800', decision: 'keep' })).toMatchObject({ type: 'InvalidInput', message: expect.not.stringContaining('\ud800') });
    S.applyReviewDecision(r, { reviewer: 'dave@example.com', decision: 'keep', via: 'slack' }, NOW);
    expect(r).toMatchObject({ status: 'kept', endReason: 'kept by dave@example.com', decision: { reviewer: 'dave@example.com', via: 'slack' } });
    expect(S.checkReviewDecision(r, { reviewer: 'bob@example.com', decision: 'revoke' })).toMatchObject({ type: 'WrongState' });
  });

  it('is not ready before the reviewers are known; a revoke waits for the removal', () => {
    const r = { ...review(), reviewers: undefined };
    expect(S.checkReviewDecision(r, { reviewer: 'bob@example.com', decision: 'revoke' })).toMatchObject({ type: 'NotReady' });
    const ready = review();
    S.applyReviewDecision(ready, { reviewer: 'bob@example.com', decision: 'revoke' }, NOW);
    expect(ready.status).toBe('revoking');
  });
});

describe('wording', () => {
  it('links the admin console System Log, with the API filter next to it', () => {
    expect(W.systemLog('00u_alice', 'https://acme.okta.com')).toEqual({
      filter: 'target.id eq "00u_alice" or actor.id eq "00u_alice"',
      url: `https://acme-admin.okta.com/report/system_log_2?search=${encodeURIComponent('target.id eq "00u_alice" or actor.id eq "00u_alice"')}`,
    });
    expect(W.systemLog('00u_a', 'http://127.0.0.1:4010').url).toMatch(/^http:\/\/127\.0\.0\.1:4010\/report\/system_log_2\?search=/);
    expect(W.systemLog('00u_a')).toEqual({ filter: 'target.id eq "00u_a" or actor.id eq "00u_a"' });
  });

  it('gives every revocation the risk: HIGH reason', () => {
    expect(W.revokeReason(levelEvent('HIGH', '2026-11-30T10:00:00Z', { detectionName: 'Entity risk', reasons: ['New IP', 'New Device'] }))).toBe('risk: HIGH (Entity risk: New IP, New Device)');
  });

  it('says in the channel what was done, and the incident once known', () => {
    const s = { ...fresh(), level: 'HIGH' as const, previousLevel: 'LOW' as const, quarantine: { groupId: '00g_high_risk', by: 'gatehouse' as const, at: '' } };
    const r = { grants: [{ requestId: 'R1', resource: 'aws-readonly', groupId: '00g_aws_ro', workflowId: 'w', how: 'signalled' as const }], cancelled: [], temporaryAccounts: [] };
    const e = levelEvent('HIGH', '2026-11-30T10:00:00Z');
    const opening = W.slack.high({ ...s, incident: { requestId: 'risk-x', projectKey: 'SEC', status: 'opening', eventUuid: e.uuid } }, e, r, W.systemLog('00u_alice'));
    expect(opening).toContain('LOW → *HIGH*');
    expect(opening).toContain('put in the quarantine group 00g_high_risk');
    expect(opening).toContain('revoked 1 active grant(s): aws-readonly (request R1)');
    expect(opening).toContain('Incident: being opened in Jira SEC');
    const failed = W.slack.high({ ...s, incident: { requestId: 'risk-x', projectKey: 'SEC', status: 'failed', error: 'Jira 400', eventUuid: e.uuid } }, e, r, W.systemLog('00u_alice'));
    expect(failed).toContain('Incident: could not be opened in Jira SEC (Jira 400)');
  });
});

describe('the policy risk block', () => {
  const base = 'resources:\n  r: { name: R, okta: { groupId: 00g_r }, duration: { default: 1h, max: 2h }, approval: { auto: true } }\n';

  it('takes the SPEC example, with the defaults filled in', () => {
    const policy = parsePolicy(`${base}risk:
  quarantineGroupId: 00g_high_risk
  mediumGroupId: 00g_medium_risk
  securityChannel: "#security-alerts"
  incident: { projectKey: SEC, issueType: Incident }
  reviewersGroupId: 00g_security
  highRiskApps:
    0oa_pam: { name: Privileged access manager, onHigh: rollback }
    0oa_payroll: { name: Payroll, onHigh: review }
`);
    expect(policy.risk?.highRiskApps['0oa_payroll']).toEqual({ name: 'Payroll', onHigh: 'review', reviewTimeout: 72 * 3_600_000, onTimeout: 'revoke' });
    expect(policySnapshot(policy.risk!, '0oa_payroll').app).toEqual({ id: '0oa_payroll', name: 'Payroll', onHigh: 'review', reviewTimeoutMs: 72 * 3_600_000, onTimeout: 'revoke' });
    expect(policySnapshot(policy.risk!, 'constructor').app).toBeUndefined();
  });

  it('lists every problem at once', () => {
    let error: PolicyError | undefined;
    try {
      parsePolicy(`${base}risk:
  quarantineGroupId: "bad id"
  mediumGroupId: "bad id"
  incident: { projectKey: sec }
  highRiskApps:
    0oa_pam: { name: PAM, onHigh: delete }
    0oa_x: { name: X, onHigh: rollback, onTimeout: keep }
    "a b": { name: Y, onHigh: review, reviewTimeout: soon }
  extra: 1
`);
    } catch (err) {
      error = err as PolicyError;
    }
    expect(error).toBeInstanceOf(PolicyError);
    const problems = error!.problems.join('\n');
    for (const expected of [
      'risk.quarantineGroupId',
      'risk.mediumGroupId',
      'risk.securityChannel',
      'risk.incident.projectKey',
      'risk.highRiskApps.0oa_pam.onHigh: onHigh must be rollback or review',
      'risk.highRiskApps.0oa_x: reviewTimeout and onTimeout apply to onHigh: review only',
      'risk.highRiskApps.a b.reviewTimeout',
      'extra',
    ]) {
      expect(problems).toContain(expected);
    }
  });

  it('the demo policy has the SPEC §9 risk block', () => {
    expect(loadPolicy(require.resolve('../../config/policy.yaml')).risk).toMatchObject({
      quarantineGroupId: '00g_high_risk',
      mediumGroupId: '00g_medium_risk',
      securityChannel: '#security-alerts',
      incident: { projectKey: 'SEC', issueType: 'Incident' },
      reviewersGroupId: '00g_security',
      highRiskApps: { '0oa_pam': { onHigh: 'rollback' }, '0oa_payroll': { onHigh: 'review', onTimeout: 'revoke' } },
    });
  });
});
