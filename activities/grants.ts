/**
 * Okta group grants with provenance (issue 10). A membership is Gatehouse's to remove only when
 * Gatehouse gave it: every grant opens a lease in the ledger *before* the Okta add, and at its end
 * the membership is removed unless another open lease (several resources may share a group) or a
 * standing record (baseline or allowlist) explains it. Someone found in the group at grant time
 * with neither is drift: reported, never made standing, and removed with the grant.
 *
 * These run as local activities on the workflow's critical path (with a regular-activity fallback
 * that retries without limit): each step is idempotent, so a retry after a crash writes nothing
 * twice and never mistakes its own add for someone else's membership.
 */
import { ApplicationFailure } from '@temporalio/common';
import { Context, log } from '@temporalio/activity';
import type { AuditEvent, AuditPort, LedgerPort, OktaPort } from './ports';

export interface GrantInput {
  requestId: string;
  workflowId: string;
  userId: string;
  login: string;
  groupId: string;
  resource: string;
  /** The `granted` audit event, written with the lease (its details are completed here). */
  granted: AuditEvent;
  /** The id to give a `drift_detected` event, when the person was found in the group unexplained. */
  driftEventId: string;
  /** Set on the durable fallback: local attempts came before, and one of them may still land. */
  afterLocalAttempts?: boolean;
  /** The grant's length: it counts from when the lease opened (`grantedAt`), by this process's clock. */
  durationMs?: number;
}

export interface GrantResult {
  /**
   * When the lease opened (the first attempt's clock; a retry finds it in the ledger). The
   * workflow counts the grant from here rather than from its own clock, which a replay can
   * see differently (workflows/shared/retry.ts, timeAfter).
   */
  grantedAt?: string;
  /** A standing record explains the membership: it stays after the grant. */
  standing: boolean;
  /** The person was in the group at grant time with no lease and no standing record. */
  drift: boolean;
  /** When the add completed: a late add cannot land after this + the Okta request timeout. */
  completedAt: string;
  /**
   * An earlier attempt may have reached Okta without an answer (a timeout, a lost connection, a
   * worker that died): its add may still land later. False when this was the first attempt of
   * all (no lease was open before it): nothing can land late.
   */
  uncertain: boolean;
}

export interface RevokeInput {
  requestId: string;
  userId: string;
  groupId: string;
  /** `expired` or `revoked` (with who and why in its details). */
  ended: AuditEvent;
  reason: string;
}

export interface RevokeResult {
  removed: boolean;
  /** Why the membership stays, when it does. */
  keptBecause?: 'standing' | 'other_lease' | 'never_granted';
}

export type KeptBecause = NonNullable<RevokeResult['keptBecause']>;

/** Why a person may stay in a group after one of their leases ended, or null. */
export async function explainedBy(ledger: LedgerPort, userId: string, groupId: string, exceptRequestId?: string): Promise<KeptBecause | null> {
  if (await ledger.standingRecord(userId, groupId)) return 'standing';
  const others = (await ledger.openLeases({ userId, groupId })).filter((l) => l.requestId !== exceptRequestId);
  return others.length > 0 ? 'other_lease' : null;
}

/**
 * Removes a membership unless the ledger explains it: the one rule every revocation path follows.
 *
 * Another grant on the same group (two resources share it) may open its lease while this removal
 * is under way; its add, sent before our removal landed, changed nothing. So the ledger is read
 * again after every Okta change, and the membership follows what it says then, until two reads
 * agree: the last word is always the ledger's.
 */
export async function removeUnlessExplained(okta: OktaPort, ledger: LedgerPort, userId: string, groupId: string, exceptRequestId?: string): Promise<RevokeResult> {
  let kept = await explainedBy(ledger, userId, groupId, exceptRequestId);
  if (kept) return { removed: false, keptBecause: kept };
  await okta.removeUserFromGroup(groupId, userId);
  let member = false;
  for (let round = 0; round < 5; round++) {
    kept = await explainedBy(ledger, userId, groupId, exceptRequestId);
    if (!!kept === member) break;
    if (kept) await okta.addUserToGroup(groupId, userId);
    else await okta.removeUserFromGroup(groupId, userId);
    member = !!kept;
    note(kept ? 'gave the membership back: a grant opened meanwhile' : 'removed the membership again: the grant that explained it ended', { groupId, userId });
  }
  return member ? { removed: false, keptBecause: kept! } : { removed: true };
}

/** Logs through the activity's logger; outside an activity (the drift sweep's callers, tests) there is none. */
function note(message: string, meta: Record<string, unknown>): void {
  try {
    log.info(message, meta);
  } catch {
    // not in an activity
  }
}

/** This activity's attempt number (1 outside an activity). */
function attempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}

/** A heartbeat where the context allows one (local activities cannot heartbeat). */
function beat(): void {
  try {
    const ctx = Context.current();
    if (!ctx.info.isLocal) ctx.heartbeat();
  } catch {
    // not in an activity (tests calling the functions directly)
  }
}

export function createGrantActivities(deps: {
  okta: OktaPort;
  ledger: LedgerPort;
  audit: AuditPort;
  onAudit?: (event: AuditEvent) => void;
  /** The risk policy's quarantine group, when risk response is configured: nobody in it is granted anything. */
  quarantineGroupId?: () => string | undefined;
}) {
  const { okta, ledger, audit } = deps;
  return {
    /** Opens the lease (with the `granted` event), then adds the membership. */
    async grantOktaMembership(input: GrantInput): Promise<GrantResult> {
      const existing = await ledger.lease(input.requestId);
      const standing = !!(await ledger.standingRecord(input.userId, input.groupId));
      // Checked before our own add, and only the first time: a retry (or a reset's new run) finds
      // the lease and never takes its own earlier add for someone else's membership.
      const groups = existing ? undefined : await okta.groupIdsOf(input.userId);
      const wasMember = existing ? existing.wasMember : groups!.includes(input.groupId);
      // A quarantined person (Okta risk HIGH) is granted nothing, whatever was approved before:
      // this closes the window in which risk response could not see a request yet (filed a moment
      // before the HIGH, or not yet listed by visibility). The same call, so no extra Okta read.
      // A retry finds its lease instead: risk response revokes leases, so it has seen this one.
      const quarantine = deps.quarantineGroupId?.();
      if (quarantine && groups?.includes(quarantine)) {
        throw ApplicationFailure.create({
          type: 'Quarantined',
          message: `${input.login} is in the quarantine group (Okta risk HIGH): nothing is granted while they are there`,
          nonRetryable: true,
        });
      }
      beat();
      const drift = !existing && wasMember && !standing && !(await explainedBy(ledger, input.userId, input.groupId, input.requestId));
      const grantedAt = existing && !existing.endedAt ? existing.startedAt : new Date().toISOString();
      const expiresAt = input.durationMs === undefined ? input.granted.details?.expiresAt : new Date(Date.parse(grantedAt) + input.durationMs).toISOString();
      const granted = { ...input.granted, details: { ...input.granted.details, expiresAt, standingMember: standing, wasMember, groupId: input.groupId } };
      const events: AuditEvent[] = [granted];
      if (drift) {
        events.push({
          id: input.driftEventId,
          requestId: input.requestId,
          seq: 0,
          type: 'drift_detected',
          actor: 'gatehouse',
          resource: input.resource,
          at: input.granted.at,
          details: { groupId: input.groupId, userId: input.userId, login: input.login, found: 'in the group at grant time without a lease or a standing record', action: 'removed when the grant ends' },
        });
      }
      // Idempotent: the lease (re-opened if a reset run grants again) and the events, once each.
      await ledger.openLease(
        { requestId: input.requestId, userId: input.userId, groupId: input.groupId, login: input.login, resource: input.resource, workflowId: input.workflowId, startedAt: grantedAt, wasMember },
        events,
      );
      if (!existing) events.forEach((e) => deps.onAudit?.(e));
      beat();
      await okta.addUserToGroup(input.groupId, input.userId);
      log.info('added user to Okta group', { groupId: input.groupId, userId: input.userId, standing, drift });
      // Uncertain when anything may have asked Okta before: an earlier attempt of this activity,
      // the local attempts before the durable one, or (a lease already open) an attempt by a
      // worker that died with its request in flight, whose add can land after this answer.
      const uncertain = attempt() > 1 || !!input.afterLocalAttempts || !!existing;
      return { grantedAt, standing, drift: drift || (!!existing && existing.wasMember && !standing), completedAt: new Date().toISOString(), uncertain };
    },

    /** Ends the lease (with the `expired`/`revoked` event), then removes the membership unless explained. */
    async revokeOktaMembership(input: RevokeInput): Promise<RevokeResult & { completedAt: string }> {
      const { closed } = await ledger.closeLease(input.requestId, { at: input.ended.at, reason: input.reason }, [input.ended]);
      if (closed) deps.onAudit?.(input.ended);
      beat();
      // A grant refused before its lease opened (someone in the quarantine group) added nothing:
      // there is no membership of this request's to remove. (An earlier attempt of this revoke
      // that closed the lease leaves it in the ledger, ended.)
      if (!closed && !(await ledger.lease(input.requestId))) {
        log.info('no lease was ever opened: nothing to remove', { groupId: input.groupId, userId: input.userId });
        return { removed: false, keptBecause: 'never_granted', completedAt: new Date().toISOString() };
      }
      const result = await removeUnlessExplained(okta, ledger, input.userId, input.groupId, input.requestId);
      log.info(result.removed ? 'removed user from Okta group' : 'kept the Okta membership', { groupId: input.groupId, userId: input.userId, ...result });
      // The workflow decides on this, not on its clock, right after the call (workflows/shared/retry.ts).
      return { ...result, completedAt: new Date().toISOString() };
    },

    /**
     * The read-back after an early revoke: an add whose request was still in flight when the
     * revoke removed the membership may land afterwards. Removes it again (once nothing explains
     * it) and records `late_add_removed`.
     */
    async confirmOktaRemoval(input: { requestId: string; userId: string; groupId: string; event: AuditEvent }): Promise<{ lateAddRemoved: boolean }> {
      if (!(await okta.isGroupMember(input.groupId, input.userId))) return { lateAddRemoved: false };
      const result = await removeUnlessExplained(okta, ledger, input.userId, input.groupId);
      if (!result.removed) return { lateAddRemoved: false };
      await audit.append(input.event);
      return { lateAddRemoved: true };
    },
  };
}

export type GrantActivities = ReturnType<typeof createGrantActivities>;
