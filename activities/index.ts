/**
 * Every activity Gatehouse runs, built from its ports (createActivities(deps), as in the Temporal
 * samples). Workflows import the *type* only. Names are verbSystemObject and are wire contracts.
 */
import { log } from '@temporalio/activity';
import type { AccessRequestInput, ResolveResult } from '../workflows/access-request/types';
import type { Policy } from './policy/schema';
import { resolveRequest } from './policy/resolve';
import { formatDuration } from '../workflows/access-request/state';
import type { AuditEvent, JiraIssueRef, Ports, SlackMessageRef } from './ports';
import {
  approvalRequestMessage,
  decidedApprovalMessage,
  expiryWarningMessage,
  grantActiveMessage,
  loginsIn,
  slackLiteral,
  type ApprovalMessageFacts,
} from './slack-messages';

export interface ActivityDeps extends Ports {
  /** The current policy (read at resolution time only). */
  policy: () => Policy;
}

export interface MembershipInput {
  groupId: string;
  userId: string;
}

export interface OpenTicketInput {
  requestId: string;
  requester: string;
  resource: string;
  resourceName: string;
  durationMs: number;
  justification?: string;
}

export type RequesterNotice =
  | { kind: 'submitted' | 'decided' | 'ended'; text: string }
  | { kind: 'granted'; resourceName: string; expiresAt: string }
  | { kind: 'warning'; resourceName: string; expiresAt: string };

/** The Jira label that ties a ticket to its request; a retried create finds the ticket by it. */
export const jiraLabelFor = (requestId: string): string => `gatehouse-${requestId.toLowerCase()}`;

export function createActivities(deps: ActivityDeps) {
  const { okta, slack, jira, audit } = deps;

  /** DMs a person known by Okta login (their e-mail); null when they are not in Slack. */
  async function dm(login: string, body: { text: string; blocks?: unknown[] }): Promise<SlackMessageRef | null> {
    const userId = await slack.lookupUserIdByEmail(login);
    if (!userId) {
      log.warn('no Slack user for login; message not sent', { login });
      return null;
    }
    const channel = await slack.openDirectMessage(userId);
    return slack.postMessage({ channel, ...body });
  }

  /** login → Slack user id for everyone named in `text` who is in Slack (for <@U…> mentions). */
  async function mentionsFor(text: string): Promise<Record<string, string>> {
    const mentions: Record<string, string> = {};
    for (const login of loginsIn(text)) {
      const id = await slack.lookupUserIdByEmail(login);
      if (id) mentions[login] = id;
    }
    return mentions;
  }

  return {
    async resolveAccessRequest(input: AccessRequestInput): Promise<ResolveResult> {
      return resolveRequest(deps.policy(), okta, input);
    },

    async checkOktaGroupMembership(input: MembershipInput): Promise<{ member: boolean }> {
      return { member: await okta.isGroupMember(input.groupId, input.userId) };
    },

    async addUserToOktaGroup(input: MembershipInput): Promise<void> {
      await okta.addUserToGroup(input.groupId, input.userId);
      log.info('added user to Okta group', { ...input });
    },

    async removeUserFromOktaGroup(input: MembershipInput): Promise<void> {
      await okta.removeUserFromGroup(input.groupId, input.userId);
      log.info('removed user from Okta group', { ...input });
    },

    /** Idempotent: looks the ticket up by the request's label before creating one. */
    async openJiraTicket(input: OpenTicketInput): Promise<JiraIssueRef> {
      const label = jiraLabelFor(input.requestId);
      const existing = await jira.findIssueByLabel(label);
      if (existing) return existing;
      return jira.createIssue({
        summary: `Access request: ${input.requester} → ${input.resourceName} (${input.resource})`,
        description: [
          `Requester: ${input.requester}`,
          `Resource: ${input.resourceName} (${input.resource})`,
          `Duration: ${formatDuration(input.durationMs)}`,
          `Justification: ${input.justification?.trim() || '(none)'}`,
          `Gatehouse request: ${input.requestId}`,
        ].join('\n'),
        labels: ['gatehouse', label],
      });
    },

    async commentOnJiraTicket(input: { key: string; text: string }): Promise<void> {
      await jira.addComment(input.key, input.text);
    },

    async transitionJiraTicket(input: { key: string; status: 'In Progress' | 'Done' }): Promise<void> {
      await jira.transitionIssue(input.key, input.status);
    },

    /** Approval request to each approver of a step (DM) and to the resource's channel. */
    async postSlackApprovalRequests(input: ApprovalMessageFacts & { approvers: string[]; channel?: string }): Promise<{ messages: SlackMessageRef[] }> {
      const body = approvalRequestMessage(input, await mentionsFor(input.requester));
      const messages: SlackMessageRef[] = [];
      for (const approver of input.approvers) {
        const ref = await dm(approver, body);
        if (ref) messages.push(ref);
      }
      if (input.channel) messages.push(await slack.postMessage({ channel: input.channel, ...body }));
      return { messages };
    },

    /** Replaces every copy of an approval request with its outcome; buttons go away. */
    async updateSlackApprovalMessages(input: { facts: ApprovalMessageFacts; messages: SlackMessageRef[]; outcome: string }): Promise<void> {
      // "Approved by <@U…>": the decider (and requester) resolved by e-mail, so Slack shows names.
      const body = decidedApprovalMessage(input.facts, input.outcome, await mentionsFor(`${input.facts.requester} ${input.outcome}`));
      for (const ref of input.messages) await slack.updateMessage(ref, body);
    },

    async notifySlackRequester(input: { requestId: string; requester: string; notice: RequesterNotice }): Promise<void> {
      const n = input.notice;
      let body: { text: string; blocks?: unknown[] };
      if (n.kind === 'granted') body = grantActiveMessage(input.requestId, n.resourceName, n.expiresAt);
      else if (n.kind === 'warning') body = expiryWarningMessage(input.requestId, n.resourceName, n.expiresAt);
      // Sentences of Gatehouse's own that quote people's words (an end reason, a denial).
      else body = { text: slackLiteral(n.text) };
      await dm(input.requester, body);
    },

    async recordAuditEvent(event: AuditEvent): Promise<void> {
      await audit.append(event);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
