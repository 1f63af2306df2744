/**
 * Drift reconciliation activities (SPEC §2 item 5): find members of Gatehouse-managed Okta groups
 * that nothing explains. A member is explained by
 *   1. an open grant: an access request for one of the group's resources that is provisioning,
 *      active or revoking (Temporal visibility, read before AND after listing the members, so a
 *      grant that starts or ends during the listing is not mistaken for drift); or
 *   2. a standing membership: recorded when a grant found the person already in the group, or in
 *      the group's baseline — everyone present the first time Gatehouse reconciled the group
 *      (their access predates Gatehouse; the baseline is itself an audit event for review).
 */
import { heartbeat } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { KIND_ACCESS_REQUEST, SA } from '../../workflows/constants';
import type { Policy } from '../policy/schema';
import type { AuditEvent, OktaPort, SlackPort } from '../ports';
import type { StandingMember } from './store';

export interface ReconcileTarget {
  groupId: string;
  /** Policy resources granted through this group. */
  resources: string[];
  /** `remove` only when every resource on the group says so. */
  action: 'report' | 'remove';
}

export interface GroupMember {
  userId: string;
  login: string;
}

export interface GroupScan {
  members: number;
  /** True when this run recorded the group's baseline (nothing is reported on that run). */
  baselineRecorded: boolean;
  unexplained: GroupMember[];
}

export interface ReconcileDeps {
  okta: OktaPort;
  slack: SlackPort;
  store: {
    append(event: AuditEvent): Promise<unknown>;
    standingMembers(groupId: string): Promise<StandingMember[]>;
    hasBaseline(groupId: string): Promise<boolean>;
    recordBaseline(groupId: string, members: { login: string; userId: string }[]): Promise<boolean>;
  };
  policy: () => Policy;
  /** Lower-case logins holding an open grant on any of these resources. */
  activeGrantees: (resources: string[]) => Promise<string[]>;
  /** Slack channel for drift reports (GATEHOUSE_SECURITY_CHANNEL). */
  securityChannel: string;
}

const OPEN_GRANT_STATUSES = ['provisioning', 'active', 'revoking'];

/** activeGrantees over Temporal visibility (the Gatehouse search attributes). */
export function activeGranteesFromVisibility(client: Client): ReconcileDeps['activeGrantees'] {
  return async (resources) => {
    if (resources.length === 0) return [];
    // Resource keys are validated by the policy schema ([a-z0-9-_]), safe inside quotes.
    const list = (values: string[]) => values.map((v) => `"${v}"`).join(', ');
    const query = [
      `${SA.kind.name} = "${KIND_ACCESS_REQUEST}"`,
      'ExecutionStatus = "Running"',
      `${SA.resource.name} IN (${list(resources)})`,
      `${SA.status.name} IN (${list(OPEN_GRANT_STATUSES)})`,
    ].join(' AND ');
    const logins = new Set<string>();
    for await (const wf of client.workflow.list({ query })) {
      const requester = wf.typedSearchAttributes.get(SA.requester);
      if (requester) logins.add(requester.toLowerCase());
    }
    return [...logins];
  };
}

/** Groups of the policy, each with its resources and what to do about drift. */
export function reconcileTargets(policy: Policy): ReconcileTarget[] {
  const byGroup = new Map<string, ReconcileTarget>();
  for (const [key, resource] of Object.entries(policy.resources)) {
    const target = byGroup.get(resource.okta.groupId) ?? { groupId: resource.okta.groupId, resources: [], action: 'remove' as const };
    target.resources.push(key);
    if (resource.reconcile !== 'remove') target.action = 'report';
    byGroup.set(resource.okta.groupId, target);
  }
  return [...byGroup.values()];
}

export function createReconcileActivities(deps: ReconcileDeps) {
  const { okta, store } = deps;

  async function granted(resources: string[]): Promise<Set<string>> {
    return new Set(await deps.activeGrantees(resources));
  }

  return {
    async listReconcileTargets(): Promise<{ groups: ReconcileTarget[] }> {
      return { groups: reconcileTargets(deps.policy()) };
    },

    /** Lists a group's members (every page) and returns those nothing explains. */
    async scanOktaGroupForDrift(input: { groupId: string; resources: string[]; runId: string }): Promise<GroupScan> {
      const before = await granted(input.resources);
      heartbeat();
      // The adapter follows Okta's Link pages; a 429 waits for the reset (SDK), then Temporal retries.
      const members = (await okta.listGroupMembers(input.groupId)).map((u) => ({ userId: u.id, login: (u.login || u.email).toLowerCase() }));
      heartbeat();
      const after = await granted(input.resources);
      const hasGrant = (m: GroupMember) => before.has(m.login) || after.has(m.login);

      if (!(await store.hasBaseline(input.groupId))) {
        const baseline = members.filter((m) => !hasGrant(m));
        // The audit event first (idempotent by id), so a retry after a crash still has it.
        await store.append({
          id: `reconcile-baseline:${input.groupId}`,
          requestId: `reconcile-baseline-${input.groupId}`,
          seq: 1,
          type: 'reconcile_baseline_recorded',
          actor: 'gatehouse',
          resource: input.resources.join(','),
          at: new Date().toISOString(),
          details: { groupId: input.groupId, resources: input.resources, members: baseline.map((m) => m.login), count: baseline.length, reconcileRun: input.runId },
        });
        const recorded = await store.recordBaseline(input.groupId, baseline);
        if (recorded) return { members: members.length, baselineRecorded: true, unexplained: [] };
      }
      const standing = await store.standingMembers(input.groupId);
      const standingLogins = new Set(standing.map((s) => s.member));
      const standingIds = new Set(standing.map((s) => s.userId).filter((id): id is string => !!id));
      const unexplained = members
        .filter((m) => !hasGrant(m) && !standingLogins.has(m.login) && !standingIds.has(m.userId))
        .sort((a, b) => a.login.localeCompare(b.login));
      return { members: members.length, baselineRecorded: false, unexplained };
    },

    /** Idempotent; checks again first, so a grant that started since the scan is left alone. */
    async removeUnexplainedOktaMember(input: { groupId: string; resources: string[]; member: GroupMember }): Promise<{ removed: boolean }> {
      if ((await granted(input.resources)).has(input.member.login)) return { removed: false };
      await okta.removeUserFromGroup(input.groupId, input.member.userId);
      return { removed: true };
    },

    async postSlackSecurityAlert(input: { text: string }): Promise<void> {
      await deps.slack.postMessage({ channel: deps.securityChannel, text: input.text });
    },
  };
}

export type ReconcileActivities = ReturnType<typeof createReconcileActivities>;
