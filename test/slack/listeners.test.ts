/**
 * The Slack listeners as plain functions with fake Bolt arguments: ack comes first, a refusal is
 * explained with the validator's words, a failing Slack call never hides the decision, and the
 * small pure helpers (identity cache, extension choices, mentions).
 */
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { pino } from 'pino';
import { textToAdf } from '../../activities/adapters/jira';
import { approvalRequestMessage, decidedApprovalMessage, slackLiteral, withMentions } from '../../activities/slack-messages';
import { onApprove } from '../../api/slack/actions/approve';
import type { Click } from '../../api/slack/actions/click';
import type { SlackDeps } from '../../api/slack/deps';
import { createSlackIdentity } from '../../api/slack/identity';
import { extensionChoices } from '../../workflows/access-request/state';
import type { RequestState } from '../../workflows/access-request/types';

const REQUEST = '01J00000000000000000000000';

function fakeClick(calls: string[], respond: (msg: unknown) => Promise<unknown> = async () => undefined): Click {
  return {
    ack: async () => void calls.push('ack'),
    body: { user: { id: 'U_ERIN' }, container: { message_ts: '1.1' }, channel: { id: 'C1' }, trigger_id: 't' },
    action: { value: REQUEST, action_ts: '2.2', action_id: 'approve_request' },
    respond: async (msg: unknown) => {
      calls.push(`respond ${JSON.stringify(msg)}`);
      return respond(msg);
    },
    client: {},
  } as unknown as Click;
}

function deps(decide: SlackDeps['service']['decide'], calls: string[]): SlackDeps {
  return {
    service: { decide: (...args: Parameters<SlackDeps['service']['decide']>) => (calls.push(`decide ${String(args[3])}`), decide(...args)) } as unknown as SlackDeps['service'],
    policy: () => ({ defaults: {}, resources: {} }) as never,
    okta: {} as never,
    identity: { whoIs: async () => ({ login: 'erin@example.com' }) },
    logger: pino({ level: 'silent' }),
  };
}

const refused = () =>
  Promise.reject(new WorkflowUpdateFailedError('refused', ApplicationFailure.create({ type: 'NotAnApprover', message: 'erin@example.com is not an approver of step 1 (manager)', nonRetryable: true })));

describe('approve listener (fake Bolt arguments)', () => {
  it('acks first, sends the Update keyed by the click, and explains a refusal ephemerally', async () => {
    const calls: string[] = [];
    await onApprove(deps(refused, calls), fakeClick(calls));
    expect(calls[0]).toBe('ack');
    expect(calls[1]).toBe(`decide slack:approve:${REQUEST}:1.1:2.2:U_ERIN`);
    expect(calls[2]).toContain('"response_type":"ephemeral"');
    expect(calls[2]).toContain('"replace_original":false');
    expect(calls[2]).toContain("You can't approve this request: erin@example.com is not an approver of step 1 (manager)");
  });

  it('still records the decision when Slack fails to show the receipt', async () => {
    const calls: string[] = [];
    const state = { requester: 'alice@example.com', resource: 'db' } as RequestState;
    const click = fakeClick(calls, () => Promise.reject(new Error('slack down')));
    await expect(onApprove(deps(async () => ({ state, source: 'query', running: true }), calls), click)).resolves.toBeUndefined();
    expect(calls.filter((c) => c.startsWith('decide'))).toHaveLength(1);
  });
});

describe('Slack identity', () => {
  const member = { email: 'Bob@Example.com', teamId: 'T_GATEHOUSE', deleted: false, isBot: false, isGuest: false };
  const activeUser = { getUser: async (login: string) => ({ login: login.replace(/^Bob/i, 'bob').replace(/Example/, 'example'), status: 'ACTIVE' }) as never };

  it('maps a Slack user to the Okta login by e-mail and caches it for the TTL', async () => {
    let now = 0;
    let lookups = 0;
    const identity = createSlackIdentity({ personOf: async () => (lookups++, member), okta: activeUser, teamId: 'T_GATEHOUSE', ttlMs: 1000, now: () => now });
    expect(await identity.whoIs('U_BOB', 'T_GATEHOUSE')).toEqual({ login: 'bob@example.com' });
    expect(await identity.whoIs('U_BOB', 'T_GATEHOUSE')).toEqual({ login: 'bob@example.com' });
    expect(lookups).toBe(1);
    now = 1001;
    await identity.whoIs('U_BOB', 'T_GATEHOUSE');
    expect(lookups).toBe(2);
  });

  it('accepts only full members of the configured workspace who are ACTIVE in Okta', async () => {
    const who = (person: Partial<typeof member> | null, status = 'ACTIVE', team = 'T_GATEHOUSE') =>
      createSlackIdentity({
        personOf: async () => (person ? { ...member, ...person } : null),
        okta: { getUser: async () => (status ? ({ login: 'bob@example.com', status } as never) : null) },
        teamId: 'T_GATEHOUSE',
      }).whoIs('U_X', team);
    expect(await who({}, 'ACTIVE', 'T_OTHER')).toEqual({ refused: 'other_workspace' });
    expect(await who({ teamId: 'T_OTHER' })).toEqual({ refused: 'other_workspace' });
    expect(await who({ deleted: true })).toEqual({ refused: 'deleted' });
    expect(await who({ isBot: true })).toEqual({ refused: 'bot' });
    expect(await who({ isGuest: true })).toEqual({ refused: 'guest' });
    expect(await who({}, 'SUSPENDED')).toEqual({ refused: 'not_active' });
    expect(await who({}, '')).toEqual({ refused: 'not_in_okta' });
    expect(await who(null)).toEqual({ refused: 'not_in_okta' });
    expect(await who({})).toEqual({ login: 'bob@example.com' });
  });

  it('does not remember a failed lookup', async () => {
    let fail = true;
    const identity = createSlackIdentity({ personOf: async () => (fail ? Promise.reject(new Error('down')) : { ...member, email: 'a@example.com' }), okta: { getUser: async () => null } });
    await expect(identity.whoIs('U_A')).rejects.toThrow('down');
    fail = false;
    expect(await identity.whoIs('U_A')).toEqual({ refused: 'not_in_okta' });
  });
});

describe('what a requester writes reaches Slack and Jira as text, never as markup', () => {
  const hostile = 'OPS-1 <!here> <!channel> @channel @Here <@U_CAROL> <https://evil.example|the runbook> & more';
  const facts = { requestId: REQUEST, requester: 'alice@example.com', resource: 'db', resourceName: 'DB', durationMs: 3_600_000, justification: hostile, step: 1, steps: 1 };

  it('Slack: no broadcast, no mention, no disguised link', () => {
    const text = JSON.stringify(approvalRequestMessage(facts).blocks) + JSON.stringify(decidedApprovalMessage(facts, `Denied by bob@example.com (${hostile})`).blocks);
    expect(text).not.toMatch(/<!here>|<!channel>|<@U_CAROL>|<https:\/\/evil/);
    expect(text).not.toMatch(/@(channel|here)\b/i);
    expect(slackLiteral(hostile)).toBe('OPS-1 &lt;!here&gt; &lt;!channel&gt; @\u200dchannel @\u200dHere &lt;@U_CAROL&gt; &lt;https://evil.example|the runbook&gt; &amp; more');
  });

  it('Jira: the text is one ADF text node, not wiki markup or a mention', () => {
    const doc = textToAdf(`Justification: ${hostile} [click|https://evil.example] [~accountid:123]`);
    expect(doc.content).toHaveLength(1);
    expect(doc.content[0]!.content).toEqual([{ type: 'text', text: `Justification: ${hostile} [click|https://evil.example] [~accountid:123]` }]);
  });
});

describe('message helpers', () => {
  it('offers extensions within what the policy still allows', () => {
    const base = {
      grantedAt: '2026-01-01T10:00:00.000Z',
      expiresAt: '2026-01-01T11:00:00.000Z',
      extensions: [],
      resolved: { maxExtensions: 2, maxDurationMs: 4 * 3_600_000, maxTotalMs: 3 * 3_600_000 },
    } as unknown as RequestState;
    expect(extensionChoices(base)).toEqual([15 * 60_000, 30 * 60_000, 3_600_000, 2 * 3_600_000]);
    expect(extensionChoices({ ...base, extensions: [{}, {}] } as unknown as RequestState)).toEqual([]);
  });

  it('turns known logins into mentions and leaves the others', () => {
    expect(withMentions('Approved by bob@example.com, Denied by eve@example.com (no) — step 1', { 'bob@example.com': 'U_BOB' })).toBe(
      'Approved by <@U_BOB>, Denied by eve@example.com (no) — step 1',
    );
  });
});
