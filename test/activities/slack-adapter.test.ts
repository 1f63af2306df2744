import { WebClient } from '@slack/web-api';
import { createSlackAdapter, type SlackAdapter } from '../../activities/adapters/slack';
import { failureOf, startTestEmulators, type RunningEmulators } from '../helpers/emulators';

describe('Slack adapter against the Slack emulator (real @slack/web-api)', () => {
  let emulators: RunningEmulators;
  let slack: SlackAdapter;
  let web: WebClient;

  beforeAll(async () => {
    emulators = await startTestEmulators({ okta: false, jira: false });
    slack = createSlackAdapter({ botToken: 'xoxb-test', apiUrl: emulators.slack.apiUrl });
    web = new WebClient('xoxb-test', { slackApiUrl: emulators.slack.apiUrl, retryConfig: { retries: 0 } });
  });
  afterAll(() => emulators?.close());
  beforeEach(() => emulators.slack.emulator.faults.clear());

  const blocks = [
    { type: 'section', text: { type: 'mrkdwn', text: '*alice* wants *prod-db-admin* for 2h' } },
    { type: 'actions', elements: [{ type: 'button', action_id: 'approve_request', text: { type: 'plain_text', text: 'Approve' }, value: 'req-1' }] },
  ];

  it('posts to a channel by name and reads it back with conversations.history', async () => {
    const ref = await slack.postMessage({ channel: '#access-approvals', text: 'Approval needed', blocks });
    expect(ref.channel).toMatch(/^C/);
    const history = await web.conversations.history({ channel: ref.channel });
    expect(history.messages?.[0]).toMatchObject({ ts: ref.ts, text: 'Approval needed' });
    expect((history.messages?.[0]?.blocks as Array<{ type: string }>).map((b) => b.type)).toEqual(['section', 'actions']);
  });

  it('posts to a user id in the DM with that user, the same DM conversations.open returns', async () => {
    const ref = await slack.postMessage({ channel: 'U_ALICE', text: 'Your access is active' });
    expect(ref.channel).toMatch(/^D/);
    expect(await slack.openDirectMessage('U_ALICE')).toBe(ref.channel);
    const dm = emulators.slack.emulator.state.conversations.get(ref.channel);
    expect(dm?.user).toBe('U_ALICE');
    expect(dm?.messages.map((m) => m.text)).toContain('Your access is active');
  });

  it('updates a message in place', async () => {
    const ref = await slack.postMessage({ channel: '#access-approvals', text: 'Pending', blocks });
    await slack.updateMessage(ref, { text: 'Approved by @bob', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Approved by @bob' } }] });
    const message = emulators.slack.emulator.state.conversations.get(ref.channel)?.messages.find((m) => m.ts === ref.ts);
    expect(message?.text).toBe('Approved by @bob');
    expect(message?.blocks).toHaveLength(1);
    expect(message?.edited).toBeDefined();
  });

  it('posts an ephemeral message only for one user', async () => {
    const ref = await slack.postMessage({ channel: '#access-approvals', text: 'x' });
    await slack.postEphemeral(ref.channel, 'U_ERIN', 'You are not an approver of this request');
    const channel = emulators.slack.emulator.state.conversations.get(ref.channel);
    expect(channel?.ephemeral).toContainEqual(expect.objectContaining({ user: 'U_ERIN', text: 'You are not an approver of this request' }));
    expect(channel?.messages.some((m) => m.text === 'You are not an approver of this request')).toBe(false);
  });

  it('maps e-mails and user ids both ways; unknown ones are null', async () => {
    expect(await slack.lookupUserIdByEmail('alice@example.com')).toBe('U_ALICE');
    expect(await slack.lookupUserIdByEmail('nobody@example.com')).toBeNull();
    expect(await slack.getPerson('U_BOB')).toEqual({ email: 'bob@example.com', teamId: 'T_GATEHOUSE', deleted: false, isBot: false, isGuest: false });
    expect(await slack.getPerson('U_NOBODY')).toBeNull();
  });

  it('remembers who an address is and a DM channel for a while, a miss for less, a failure not at all', async () => {
    let clock = 0;
    const cached = createSlackAdapter({ botToken: 'xoxb-test', apiUrl: emulators.slack.apiUrl }, { userTtlMs: 1_000, missTtlMs: 100, channelTtlMs: 1_000, now: () => clock });
    const calls = async () => ((await (await fetch(`${emulators.slack.url}/_emulator/request-counts`)).json()) as { counts: Record<string, number> }).counts;
    const before = await calls();
    const delta = async (route: string) => ((await calls())[route] ?? 0) - (before[route] ?? 0);

    emulators.slack.emulator.faults.configure({ outage: { seconds: 30, status: 503, route: 'users.*' } });
    expect((await failureOf(cached.lookupUserIdByEmail('dave@example.com'))).type).toBe('SlackUnavailable');
    emulators.slack.emulator.faults.clear();
    expect(await cached.lookupUserIdByEmail('dave@example.com')).toBe('U_DAVE');
    expect(await cached.lookupUserIdByEmail('dave@example.com')).toBe('U_DAVE');
    expect(await cached.lookupUserIdByEmail('nobody@example.com')).toBeNull();
    expect(await cached.lookupUserIdByEmail('nobody@example.com')).toBeNull();
    expect(await delta('POST /api/users.lookupByEmail')).toBe(3);
    clock = 100;
    expect(await cached.lookupUserIdByEmail('nobody@example.com')).toBeNull();
    expect(await cached.lookupUserIdByEmail('dave@example.com')).toBe('U_DAVE');
    expect(await delta('POST /api/users.lookupByEmail')).toBe(4);
    clock = 1_000;
    expect(await cached.lookupUserIdByEmail('dave@example.com')).toBe('U_DAVE');
    expect(await delta('POST /api/users.lookupByEmail')).toBe(5);

    const dm = await cached.openDirectMessage('U_DAVE');
    expect(await cached.openDirectMessage('U_DAVE')).toBe(dm);
    expect(await delta('POST /api/conversations.open')).toBe(1);
  });

  it('tells guests, bots and deactivated accounts apart (users.info)', async () => {
    const patch = (id: string, body: object) =>
      fetch(`${emulators.slack.url}/_emulator/users/${id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await patch('U_ERIN', { is_restricted: true });
    await patch('U_FRANK', { deleted: true });
    try {
      expect(await slack.getPerson('U_ERIN')).toMatchObject({ isGuest: true, deleted: false });
      expect(await slack.getPerson('U_FRANK')).toMatchObject({ isGuest: false, deleted: true });
    } finally {
      await patch('U_ERIN', { is_restricted: false });
      await patch('U_FRANK', { deleted: false });
    }
  });

  it('classifies an unknown channel as a non-retryable SlackRejected', async () => {
    const failure = await failureOf(slack.postMessage({ channel: '#no-such-channel', text: 'x' }));
    expect(failure.type).toBe('SlackRejected');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('channel_not_found');
  });

  it('fails at once on a 429 with Retry-After as the next retry delay', async () => {
    emulators.slack.emulator.faults.configure({ burst429: { count: 1, retryAfterSec: 7, route: 'chat.postMessage' } });
    const failure = await failureOf(slack.postMessage({ channel: '#access-approvals', text: 'x' }));
    expect(failure.type).toBe('SlackRateLimited');
    expect(failure.nextRetryDelay).toBe(7000);
    expect(emulators.slack.emulator.faults.injected.rateLimited).toBe(1);
  });

  it('classifies a 5xx as a retryable SlackUnavailable', async () => {
    emulators.slack.emulator.faults.configure({ outage: { seconds: 30, status: 503, route: 'users.*' } });
    // Someone this adapter has not looked up yet (a known answer would come from its memory).
    const failure = await failureOf(slack.lookupUserIdByEmail('carol@example.com'));
    expect(failure.type).toBe('SlackUnavailable');
    expect(failure.nonRetryable).toBe(false);
  });

  it('classifies a bad token as a retryable SlackAuthFailed', async () => {
    const strict = await startTestEmulators({ okta: false, jira: false, slack: { botToken: 'xoxb-right' } });
    try {
      const wrong = createSlackAdapter({ botToken: 'xoxb-wrong', apiUrl: strict.slack.apiUrl });
      const failure = await failureOf(wrong.lookupUserIdByEmail('alice@example.com'));
      expect(failure.type).toBe('SlackAuthFailed');
    } finally {
      await strict.close();
    }
  });
});
