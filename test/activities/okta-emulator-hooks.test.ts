import { Client, type EventHook } from '@okta/okta-sdk-nodejs';
import request from 'supertest';
import { loadDirectory } from '../../emulators';
import type { DeliveryAttempt } from '../../emulators/okta/event-hooks';
import { startTestEmulators, type RunningEmulators } from '../helpers/emulators';
import { HookReceiver } from '../helpers/hook-receiver';
import { waitFor } from '../helpers/wait';

const SECRET = 'hook-secret-0123456789';
const TIMEOUT_MS = 1000;

describe('Okta emulator: risk, event hooks and their delivery (real okta-sdk-nodejs)', () => {
  let emulators: RunningEmulators;
  let client: Client;
  let receiver: HookReceiver;
  const emulator = () => emulators.okta.emulator;
  const http = () => request(emulator().app);
  const AUTH = { Authorization: 'SSWS test-token' };

  beforeAll(async () => {
    // A short receiver timeout keeps the "no answer in time" cases quick (Okta waits 3 s).
    emulators = await startTestEmulators({ okta: { eventHookTimeoutMs: TIMEOUT_MS }, slack: false, jira: false });
    client = new Client({ orgUrl: emulators.okta.url, token: 'test-token', cacheMiddleware: null });
    receiver = await new HookReceiver().start();
  });
  afterAll(async () => {
    await receiver?.close();
    await emulators?.close();
  });
  beforeEach(() => {
    emulator().reset();
    emulator().seed(loadDirectory());
    receiver.clear();
  });

  const definition = (uri = receiver.url, items = ['user.risk.detect', 'user.risk.change', 'application.user_membership.add']): EventHook =>
    ({
      name: 'Gatehouse',
      events: { type: 'EVENT_TYPE', items },
      channel: { type: 'HTTP', version: '1.0.0', config: { uri, headers: [{ key: 'X-Gatehouse-Test', value: 'yes' }], authScheme: { type: 'HEADER', key: 'Authorization', value: SECRET } } },
    }) as EventHook;

  async function activeVerifiedHook(items?: string[]): Promise<string> {
    const hook = await client.eventHookApi.createEventHook({ eventHook: definition(receiver.url, items) });
    await client.eventHookApi.verifyEventHook({ eventHookId: hook.id ?? '' });
    receiver.clear();
    return hook.id ?? '';
  }

  const deliveries = (): DeliveryAttempt[] => emulator().eventHooks.deliveries.filter((d) => d.kind === 'event');
  const raiseRisk = (body: Record<string, unknown>) => http().post('/_emulator/risk').send(body);

  describe('risk', () => {
    it('raises user.risk.detect with Okta key=value risk data and answers the risk API', async () => {
      const res = await raiseRisk({ login: 'alice@example.com', level: 'HIGH', detectionName: 'Entity risk', reasons: ['Anomalous Geo-Distance', 'New Device', 'New IP'] }).expect(201);
      expect(res.body.event).toMatchObject({
        eventType: 'user.risk.detect',
        severity: 'WARN',
        actor: { type: 'SystemPrincipal' },
        target: [{ id: '00u_alice', type: 'User', alternateId: 'alice@example.com' }],
        transaction: { type: 'JOB' },
      });
      expect(res.body.event.debugContext.debugData.risk).toBe('{previousLevel=LOW, level=HIGH, detectionName=Entity risk, reasons=Anomalous Geo-Distance, New Device, New IP, issuer=OKTA}');
      expect(res.body.event.debugContext.debugData.traceId).toMatch(/^[0-9a-f-]{36}$/);
      expect((await client.userApi.getUserRisk({ userId: '00u_alice' })).riskLevel).toBe('HIGH');
      expect((await client.userApi.getUserRisk({ userId: '00u_bob' })).riskLevel).toBe('NONE');

      // The previous level defaults to the one the emulator holds; the legacy event type on request.
      const change = await raiseRisk({ login: 'alice@example.com', level: 'MEDIUM', eventType: 'user.risk.change', reasons: 'Admin action' }).expect(201);
      expect(change.body.event.eventType).toBe('user.risk.change');
      expect(change.body.event.debugContext.debugData.risk).toMatch(/^\{previousLevel=HIGH, level=MEDIUM, .*reasons=Admin action, issuer=OKTA\}$/);

      const put = await client.userApi.upsertUserRisk({ userId: '00u_alice', userRiskRequest: { riskLevel: 'LOW' } });
      expect(put.riskLevel).toBe('LOW');
      const last = emulator().state.systemLog.all().at(-1);
      expect(last).toMatchObject({ eventType: 'user.risk.change', actor: { id: '00u_emulator_admin' }, debugContext: { debugData: { risk: expect.stringContaining('previousLevel=MEDIUM, level=LOW') } } });
    });

    it('refuses an unknown user or a bad body with a clear 4xx', async () => {
      expect((await raiseRisk({ login: 'nobody@example.com', level: 'HIGH' }).expect(404)).body.error).toBe('unknown_user');
      expect((await raiseRisk({ login: 'alice@example.com', level: 'SEVERE' }).expect(400)).body.error).toBe('invalid_body');
      expect((await raiseRisk({ login: 'alice@example.com', level: 'HIGH', extra: 1 }).expect(400)).body.error).toBe('invalid_body');
      expect((await http().put('/api/v1/users/00u_alice/risk').set(AUTH).send({ riskLevel: 'MEDIUM' }).expect(400)).body.errorCode).toBe('E0000001');
    });
  });

  describe('event-hook management', () => {
    it('creates ACTIVE + UNVERIFIED, never returns the secret, verifies with the challenge GET', async () => {
      const created = await client.eventHookApi.createEventHook({ eventHook: definition() });
      expect(created).toMatchObject({ name: 'Gatehouse', status: 'ACTIVE', verificationStatus: 'UNVERIFIED', channel: { config: { uri: receiver.url, method: 'POST', authScheme: { type: 'HEADER', key: 'Authorization' } } } });
      const raw = await http().get(`/api/v1/eventHooks/${created.id}`).set(AUTH).expect(200);
      expect(raw.body.channel.config.authScheme).toEqual({ type: 'HEADER', key: 'Authorization' });
      expect((await http().get('/_emulator/state').expect(200)).text).not.toContain(SECRET);

      const verified = await client.eventHookApi.verifyEventHook({ eventHookId: created.id ?? '' });
      expect(verified.verificationStatus).toBe('VERIFIED');
      const [challenge] = receiver.requests;
      expect(challenge).toMatchObject({ method: 'GET', path: '/hooks/okta' });
      expect(challenge?.headers).toMatchObject({ authorization: SECRET, 'x-gatehouse-test': 'yes', 'x-okta-verification-challenge': expect.stringMatching(/^\w{32}$/) });

      const listed = await (async () => {
        const hooks: EventHook[] = [];
        for await (const hook of await client.eventHookApi.listEventHooks()) if (hook) hooks.push(hook);
        return hooks;
      })();
      expect(listed.map((hook) => hook.id)).toEqual([created.id]);
      expect((await client.eventHookApi.getEventHook({ eventHookId: created.id ?? '' })).verificationStatus).toBe('VERIFIED');
    });

    it('answers 400 when the endpoint does not echo the challenge, after one retry', async () => {
      receiver.echoChallenge = false;
      const created = await client.eventHookApi.createEventHook({ eventHook: definition() });
      await expect(client.eventHookApi.verifyEventHook({ eventHookId: created.id ?? '' })).rejects.toMatchObject({ status: 400, errorCode: 'E0000001' });
      expect(receiver.requests.filter((r) => r.method === 'GET')).toHaveLength(2);
      expect(emulator().eventHooks.deliveries.map((d) => `${d.kind} ${d.attempt} ${d.status}`)).toEqual(['verification 1 200', 'verification 2 200']);
      expect((await client.eventHookApi.getEventHook({ eventHookId: created.id ?? '' })).verificationStatus).toBe('UNVERIFIED');
    });

    it('replaces (keeping the write-only secret), deletes only when INACTIVE, and validates the body', async () => {
      const id = await activeVerifiedHook();
      const body = definition();
      delete (body.channel.config.authScheme as { value?: string }).value;
      body.events.items = ['user.risk.detect'];
      const replaced = await client.eventHookApi.replaceEventHook({ eventHookId: id, eventHook: body });
      expect(replaced.events.items).toEqual(['user.risk.detect']);
      expect(replaced.verificationStatus).toBe('VERIFIED');
      expect(emulator().eventHooks.hooks.get(id)?.channel.config.authScheme?.value).toBe(SECRET);

      await expect(client.eventHookApi.deleteEventHook({ eventHookId: id })).rejects.toMatchObject({ status: 400 });
      expect((await client.eventHookApi.deactivateEventHook({ eventHookId: id })).status).toBe('INACTIVE');
      await client.eventHookApi.deleteEventHook({ eventHookId: id });
      await expect(client.eventHookApi.getEventHook({ eventHookId: id })).rejects.toMatchObject({ status: 404, errorCode: 'E0000007' });

      for (const bad of [definition('http://example.com/hooks/okta'), definition(receiver.url, []), { ...definition(), name: '' }]) {
        const res = await http().post('/api/v1/eventHooks').set(AUTH).send(bad).expect(400);
        expect(res.body.errorCode).toBe('E0000001');
      }
      await http().post('/api/v1/eventHooks').set(AUTH).send(definition('https://gatehouse.example.org/hooks/okta')).expect(200);
    });
  });

  describe('delivery', () => {
    it('posts each subscribed event to ACTIVE + VERIFIED hooks with the secret header, after the API call answered', async () => {
      const unverified = await client.eventHookApi.createEventHook({ eventHook: definition() });
      await activeVerifiedHook();
      receiver.onPost = () => ({ status: 200, delayMs: 300 });
      const res = await raiseRisk({ login: 'alice@example.com', level: 'HIGH' }).expect(201);
      // The API answered while the receiver was still holding its reply: delivery is not part of the call.
      expect(deliveries()).toHaveLength(0);

      const [post] = await waitFor(() => (receiver.posts().length ? receiver.posts() : null), 'the delivery');
      expect(post?.headers).toMatchObject({ authorization: SECRET, 'x-gatehouse-test': 'yes', 'content-type': 'application/json' });
      expect(post?.body).toMatchObject({
        eventType: 'com.okta.event_hook',
        eventTypeVersion: '1.0',
        cloudEventsVersion: '0.1',
        contentType: 'application/json',
        source: expect.stringMatching(/\/api\/v1\/eventHooks\/who\w+$/),
        eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        data: { events: [{ uuid: res.body.event.uuid, eventType: 'user.risk.detect' }] },
      });
      // One hook verified, one not: one delivery. A type nobody subscribes to is not sent.
      await client.groupApi.assignUserToGroup({ groupId: '00g_aws_ro', userId: '00u_alice' });
      await client.applicationApi.assignUserToApplication({ appId: '0oa_pam', appUser: { id: '00u_alice', scope: 'USER' } });
      await waitFor(() => receiver.events().some((event) => event.eventType === 'application.user_membership.add'), 'the app assignment delivery');
      expect([...new Set(receiver.events().map((event) => event.eventType))]).toEqual(['user.risk.detect', 'application.user_membership.add']);
      expect(deliveries().every((d) => d.hookId !== unverified.id)).toBe(true);
    });

    it('retries once after a 5xx with the same eventId, never after a 4xx', async () => {
      await activeVerifiedHook();
      receiver.onPost = (n) => ({ status: n === 1 ? 503 : n === 3 ? 401 : 200 });
      await raiseRisk({ login: 'alice@example.com', level: 'HIGH' }).expect(201);
      await waitFor(() => receiver.posts().length === 2, 'the retry');
      const [first, retry] = receiver.posts().map((post) => post.body as { eventId: string });
      expect(retry?.eventId).toBe(first?.eventId);

      await raiseRisk({ login: 'alice@example.com', level: 'LOW' }).expect(201);
      await waitFor(() => deliveries().length === 3, 'the refused delivery');
      expect(deliveries().map((d) => `${d.attempt} ${d.status}`)).toEqual(['1 503', '2 200', '1 401']);
      expect(receiver.posts()).toHaveLength(3);
    });

    it('retries once when the receiver does not answer in time', async () => {
      await activeVerifiedHook();
      receiver.onPost = (n) => ({ status: 200, delayMs: n === 1 ? TIMEOUT_MS * 2 : 0 });
      await raiseRisk({ login: 'alice@example.com', level: 'HIGH' }).expect(201);
      await waitFor(() => deliveries().length === 2, 'the retry after the timeout');
      expect(deliveries().map((d) => `${d.attempt} ${d.status}`)).toEqual(['1 null', '2 200']);
      expect(deliveries()[0]?.error).toMatch(/timed out/);
      expect(deliveries()[0]?.durationMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    });

    it('duplicates and reorders in fault mode, deterministically', async () => {
      await activeVerifiedHook();
      await http().post('/_emulator/event-hooks/faults').send({ duplicate: 1, reorder: true, reorderWindowMs: 500 }).expect(200);
      const high = (await raiseRisk({ login: 'alice@example.com', level: 'HIGH' }).expect(201)).body.event;
      const low = (await raiseRisk({ login: 'alice@example.com', level: 'LOW' }).expect(201)).body.event;
      await waitFor(() => receiver.posts().length === 4, 'four deliveries');
      expect(receiver.events().map((event) => event.uuid)).toEqual([low.uuid, low.uuid, high.uuid, high.uuid]);
      const envelopeIds = receiver.posts().map((post) => (post.body as { eventId: string }).eventId);
      expect(new Set(envelopeIds).size).toBe(4);
      const listed = await http().get('/_emulator/event-hooks/deliveries').expect(200);
      expect(listed.body.faults).toMatchObject({ duplicate: 1, reorder: true });
      expect(listed.body.deliveries.filter((d: DeliveryAttempt) => d.kind === 'event')).toHaveLength(4);

      await http().post('/_emulator/event-hooks/faults').send({ duplicate: 2 }).expect(400);
      await http().delete('/_emulator/event-hooks/faults').expect(204);
      receiver.clear();
      const next = (await raiseRisk({ login: 'alice@example.com', level: 'MEDIUM' }).expect(201)).body.event;
      await waitFor(() => receiver.posts().length === 1, 'a single delivery');
      expect(receiver.events().map((event) => event.uuid)).toEqual([next.uuid]);
    });

    it('delivers nothing to a deactivated hook, and reset forgets hooks and deliveries', async () => {
      const id = await activeVerifiedHook();
      await client.eventHookApi.deactivateEventHook({ eventHookId: id });
      const event = (await raiseRisk({ login: 'alice@example.com', level: 'HIGH' }).expect(201)).body.event;
      await client.eventHookApi.activateEventHook({ eventHookId: id });
      const later = (await raiseRisk({ login: 'alice@example.com', level: 'LOW' }).expect(201)).body.event;
      await waitFor(() => receiver.posts().length === 1, 'the delivery after reactivation');
      expect(receiver.events().map((e) => e.uuid)).toEqual([later.uuid]);
      expect(receiver.events().map((e) => e.uuid)).not.toContain(event.uuid);

      await http().post('/_emulator/reset').expect(204);
      expect(emulator().eventHooks.hooks.size).toBe(0);
      expect((await http().get('/_emulator/event-hooks/deliveries').expect(200)).body.deliveries).toEqual([]);
    });
  });
});
