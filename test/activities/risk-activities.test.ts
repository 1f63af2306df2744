/**
 * The risk-response activities over the fake ports and a recording Temporal port: every grant of
 * the user through its workflow's revoke signal, a lease whose workflow is gone closed here (as
 * the drift sweep would), pending requests cancelled once, temporary accounts closed; reviewers
 * and the subject resolved from Okta.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createFakePorts, type FakePorts } from '../../activities/fakes';
import { createRiskActivities, type RiskWorkflowsPort } from '../../activities/risk';

/** Runs an activity function inside an activity context (its logger), as a worker would. */
const inActivity = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> => new MockActivityEnvironment().run(fn, ...args);

function recordingPort(running: Set<string>, pending: { workflowId: string; resource: string }[], accounts: string[]) {
  const signals: { workflowId: string; which: string; input: { actor: string; reason: string; via: string } }[] = [];
  const port: RiskWorkflowsPort = {
    deliverToUser: async () => undefined,
    pendingRequests: async () => pending,
    temporaryAccounts: async () => accounts,
    async signal(workflowId, which, input) {
      if (!running.has(workflowId)) return false;
      signals.push({ workflowId, which, input });
      return true;
    },
  };
  return { port, signals };
}

const lease = (requestId: string, groupId: string, resource: string) => ({
  requestId,
  userId: '00u_alice',
  groupId,
  login: 'alice@example.com',
  resource,
  workflowId: `access-request-${requestId}`,
  startedAt: new Date().toISOString(),
  wasMember: false,
});

describe('revokeAccessForRisk', () => {
  let ports: FakePorts;
  beforeEach(async () => {
    ports = createFakePorts();
    await ports.audit.openLease(lease('R1', '00g_aws_ro', 'aws-readonly'), []);
    await ports.audit.openLease(lease('R2', '00g_prod_db_admin', 'prod-db-admin'), []);
    await ports.okta.addUserToGroup('00g_aws_ro', '00u_alice');
    await ports.okta.addUserToGroup('00g_prod_db_admin', '00u_alice');
  });

  it('signals every running grant, closes the lease of a gone one, cancels pending requests once, closes temporary accounts', async () => {
    const { port, signals } = recordingPort(
      new Set(['access-request-R1', 'access-request-P1', 'temporary-account-T1']),
      [
        { workflowId: 'access-request-P1', resource: 'prod-db-admin' },
        // Approved meanwhile: it holds a lease too, and is counted as a grant only.
        { workflowId: 'access-request-R1', resource: 'aws-readonly' },
      ],
      ['temporary-account-T1'],
    );
    const risk = createRiskActivities({ okta: ports.okta, ledger: ports.audit, workflows: port });
    const result = await inActivity(risk.revokeAccessForRisk, { userId: '00u_alice', login: 'alice@example.com', reason: 'risk: HIGH (x)', eventUuid: 'ev1' });

    expect(result.grants).toEqual([
      { requestId: 'R1', resource: 'aws-readonly', groupId: '00g_aws_ro', workflowId: 'access-request-R1', how: 'signalled' },
      { requestId: 'R2', resource: 'prod-db-admin', groupId: '00g_prod_db_admin', workflowId: 'access-request-R2', how: 'closed' },
    ]);
    expect(result.cancelled).toEqual([{ requestId: 'P1', resource: 'prod-db-admin', workflowId: 'access-request-P1', how: 'signalled' }]);
    expect(result.temporaryAccounts).toEqual(['temporary-account-T1']);
    expect(signals.map((s) => [s.workflowId, s.which])).toEqual([
      ['access-request-R1', 'revoke'],
      ['access-request-P1', 'revoke'],
      ['access-request-R1', 'revoke'],
      ['temporary-account-T1', 'closeTemporaryAccount'],
    ]);
    expect(signals[0]!.input).toEqual({ actor: 'system:risk', reason: 'risk: HIGH (x)', via: 'okta-hook' });

    // R2's workflow is gone: its lease is closed with a `revoked` event, its membership removed.
    expect((await ports.audit.lease('R2'))?.endReason).toBe('risk: HIGH (x)');
    expect(ports.audit.trail('R2')).toEqual([expect.objectContaining({ id: 'risk:ev1:lease:R2', type: 'revoked', actor: 'system:risk' })]);
    expect(await ports.okta.isGroupMember('00g_prod_db_admin', '00u_alice')).toBe(false);
    // R1's workflow revokes it itself: untouched here.
    expect(await ports.okta.isGroupMember('00g_aws_ro', '00u_alice')).toBe(true);

    // A retry (the activity is at least once) closes nothing twice.
    const again = await inActivity(risk.revokeAccessForRisk, { userId: '00u_alice', login: 'alice@example.com', reason: 'risk: HIGH (x)', eventUuid: 'ev1' });
    expect(again.grants.map((g) => g.requestId)).toEqual(['R1']);
    expect(ports.audit.trail('R2')).toHaveLength(1);
  });

  it('refuses to run without a Temporal client', async () => {
    const risk = createRiskActivities({ okta: ports.okta, ledger: ports.audit });
    await expect(inActivity(risk.revokeAccessForRisk, { userId: '00u_alice', login: 'alice@example.com', reason: 'r', eventUuid: 'e' })).rejects.toThrow(/needs a Temporal client/);
  });
});

describe('Okta lookups', () => {
  it('finds the subject and its manager; the reviewers are the manager and the ACTIVE reviewers group', async () => {
    const ports = createFakePorts();
    const risk = createRiskActivities({ okta: ports.okta, ledger: ports.audit });
    expect(await inActivity(risk.lookupRiskSubject, { userId: '00u_alice' })).toEqual({ login: 'alice@example.com', displayName: 'Alice Archer', manager: 'bob@example.com' });
    expect(await inActivity(risk.lookupRiskSubject, { userId: '00u_nobody' })).toBeNull();
    expect(await inActivity(risk.resolveReviewers, { userId: '00u_carol', reviewersGroupId: '00g_security' })).toEqual({ manager: 'bob@example.com', reviewers: ['dave@example.com'] });
    // An unknown reviewers group leaves the manager alone to decide.
    expect(await inActivity(risk.resolveReviewers, { userId: '00u_frank', reviewersGroupId: '00g_nope' })).toEqual({ reviewers: [] });
  });
});
