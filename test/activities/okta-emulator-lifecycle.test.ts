import { Client, type LogEvent } from '@okta/okta-sdk-nodejs';
import request from 'supertest';
import { loadDirectory } from '../../emulators';
import { startTestEmulators, type RunningEmulators } from '../helpers/emulators';

/** The error an SDK call rejects with (fails the test if it resolves). */
async function oktaError(promise: Promise<unknown>): Promise<{ status: number; errorCode: string; errorSummary: string; errorCauses: Array<{ errorSummary: string }> }> {
  try {
    await promise;
  } catch (err) {
    return err as never;
  }
  throw new Error('expected the Okta call to fail, it succeeded');
}

async function collect<T>(collection: AsyncIterable<T | null>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of collection) if (item) items.push(item);
  return items;
}

describe('Okta emulator: schema, user lifecycle and System Log (real okta-sdk-nodejs)', () => {
  let emulators: RunningEmulators;
  let client: Client;
  const AUTH = { Authorization: 'SSWS test-token' };
  const emulator = () => emulators.okta.emulator;
  const http = () => request(emulator().app);

  beforeAll(async () => {
    emulators = await startTestEmulators({ slack: false, jira: false });
    client = new Client({ orgUrl: emulators.okta.url, token: 'test-token', cacheMiddleware: null });
  });
  afterAll(() => emulators?.close());
  beforeEach(() => {
    emulator().reset();
    emulator().seed(loadDirectory());
  });

  const profile = (login: string, extra: Record<string, unknown> = {}) => ({ login, email: login, firstName: 'Élodie', lastName: 'Lefèvre', ...extra });

  describe('user schema', () => {
    it('serves the base properties and the seeded custom ones, and adds custom attributes through the SDK', async () => {
      const before = await client.schemaApi.getUserSchema({ schemaId: 'default' });
      expect(Object.keys(before.definitions?.base?.properties ?? {})).toEqual(expect.arrayContaining(['login', 'email', 'firstName', 'lastName', 'managerId', 'costCenter', 'countryCode']));
      expect(before.definitions?.base?.required).toEqual(['login', 'firstName', 'lastName', 'email']);
      // The demo directory's profiles use `location`, which Okta's base set lacks: the demo org declares it.
      expect(Object.keys(before.definitions?.custom?.properties ?? {})).toEqual(['location']);

      const after = await client.schemaApi.updateUserProfile({
        schemaId: 'default',
        userSchema: {
          definitions: {
            custom: {
              id: '#custom',
              type: 'object',
              properties: { gatehouseTemporary: { title: 'Gatehouse temporary account', type: 'boolean' }, gatehouseManager: { title: 'Gatehouse manager', type: 'string' } },
            },
          },
        } as never,
      });
      const custom = after.definitions?.custom?.properties ?? {};
      expect(Object.keys(custom).sort()).toEqual(['gatehouseManager', 'gatehouseTemporary', 'location']);
      expect(custom.gatehouseTemporary).toMatchObject({ title: 'Gatehouse temporary account', type: 'boolean' });
      expect((await client.schemaApi.getUserSchema({ schemaId: 'default' })).definitions?.custom?.properties?.gatehouseManager?.type).toBe('string');
    });

    it('refuses bad schema updates with E0000001 and changes nothing', async () => {
      for (const properties of [{ firstname: { title: 'Clash', type: 'string' } }, { '9lives': { title: 'Digit', type: 'string' } }, { x: { title: 'X', type: 'date' } }]) {
        const res = await http().post('/api/v1/meta/schemas/user/default').set(AUTH).send({ definitions: { custom: { properties } } }).expect(400);
        expect(res.body.errorCode).toBe('E0000001');
        expect(res.body.errorCauses).toHaveLength(1);
      }
      expect([...emulator().state.schema.custom.keys()]).toEqual(['location']);
      await http().get('/api/v1/meta/schemas/user/osc_other').set(AUTH).expect(404);
    });

    it('refuses unknown and mistyped profile properties on create and update, like real Okta', async () => {
      const unknown = await oktaError(client.userApi.createUser({ body: { profile: profile('x.tmp@example.org', { gatehouseTemporary: true }) as never } }));
      expect(unknown).toMatchObject({ status: 400, errorCode: 'E0000001', errorSummary: 'Api validation failed: newUser' });
      expect(unknown.errorCauses).toEqual([{ errorSummary: "Property name 'gatehouseTemporary' is not defined in profile" }]);
      expect(emulator().state.findByLogin('x.tmp@example.org')).toBeUndefined();

      await http().post('/api/v1/meta/schemas/user/default').set(AUTH).send({ definitions: { custom: { properties: { gatehouseTemporary: { title: 'T', type: 'boolean' } } } } }).expect(200);
      const mistyped = await oktaError(client.userApi.createUser({ body: { profile: profile('x.tmp@example.org', { gatehouseTemporary: 'yes' }) as never } }));
      expect(mistyped.errorCauses[0]?.errorSummary).toMatch(/gatehouseTemporary.*boolean/);
      const user = await client.userApi.createUser({ body: { profile: profile('x.tmp@example.org', { gatehouseTemporary: true }) as never } });
      expect(user.profile?.gatehouseTemporary).toBe(true);

      const update = await oktaError(client.userApi.updateUser({ userId: user.id ?? '', user: { profile: { nickname: 'typo' } as never } }));
      expect(update.errorCauses).toEqual([{ errorSummary: "Property name 'nickname' is not defined in profile" }]);
      const updated = await client.userApi.updateUser({ userId: user.id ?? '', user: { profile: { nickName: 'Lo' } as never } });
      expect(updated.profile).toMatchObject({ nickName: 'Lo', gatehouseTemporary: true, login: 'x.tmp@example.org' });
    });
  });

  describe('user lifecycle', () => {
    it('creates with a password that must be changed: PASSWORD_EXPIRED, in its groups at once', async () => {
      const user = await client.userApi.createUser({
        body: { profile: profile('elodie.lefevre.tmp@example.org') as never, credentials: { password: { value: 'Kx7-qmPv-2Lwz' } }, groupIds: ['00g_paris_inbox', '00g_field_calendar'] },
        activate: true,
        nextLogin: 'changePassword',
      });
      expect(user.status).toBe('PASSWORD_EXPIRED');
      expect(user.activated).toBeInstanceOf(Date);
      const groups = await collect(await client.userApi.listUserGroups({ userId: user.id ?? '' }));
      expect(groups.map((group) => group.id).sort()).toEqual(['00g_field_calendar', '00g_paris_inbox']);
    });

    it('refuses nextLogin without a password or without activation, and a weak password', async () => {
      const body = { profile: profile('a.tmp@example.org') as never };
      expect((await oktaError(client.userApi.createUser({ body, nextLogin: 'changePassword' }))).errorCode).toBe('E0000124');
      expect((await oktaError(client.userApi.createUser({ body: { ...body, credentials: { password: { value: 'Kx7-qmPv-2Lwz' } } }, activate: false, nextLogin: 'changePassword' }))).errorCode).toBe('E0000125');
      const weak = await oktaError(client.userApi.createUser({ body: { ...body, credentials: { password: { value: 'short' } } } }));
      expect(weak.errorCauses[0]?.errorSummary).toMatch(/^password: Password requirements were not met/);
      expect(emulator().state.findByLogin('a.tmp@example.org')).toBeUndefined();
    });

    it('creates STAGED without credentials, then activates without e-mail to get the link', async () => {
      const staged = await client.userApi.createUser({ body: { profile: profile('b.tmp@example.org') as never }, activate: false });
      expect(staged.status).toBe('STAGED');
      const token = await client.userApi.activateUser({ userId: staged.id ?? '', sendEmail: false });
      expect(token.activationToken).toMatch(/^\w{20}$/);
      expect(token.activationUrl).toBe(`${emulators.okta.url}/welcome/${token.activationToken}`);
      expect((await client.userApi.getUser({ userId: 'b.tmp@example.org' })).status).toBe('PROVISIONED');
    });

    it('finds taken logins by prefix, whatever the case and the status', async () => {
      for (const login of ['elodie.lefevre.tmp@example.org', 'Elodie.Lefevre.Tmp2@example.org', 'elodie.lefevre@example.org']) {
        await client.userApi.createUser({ body: { profile: profile(login) as never }, activate: false });
      }
      await client.userApi.deactivateUser({ userId: 'elodie.lefevre.tmp@example.org' });
      const found = await collect(await client.userApi.listUsers({ search: 'profile.login sw "ELODIE.lefevre.tmp"' }));
      expect(found.map((user) => user.profile?.login).sort()).toEqual(['Elodie.Lefevre.Tmp2@example.org', 'elodie.lefevre.tmp@example.org']);
      const exact = await collect(await client.userApi.listUsers({ search: 'profile.login eq "elodie.lefevre.tmp2@example.org"' }));
      expect(exact).toHaveLength(1);
    });

    it('issues a temporary password over raw HTTP (SDK 8.1.0 drops it), expires passwords, clears sessions', async () => {
      const user = await client.userApi.createUser({ body: { profile: profile('c.tmp@example.org') as never, credentials: { password: { value: 'Kx7-qmPv-2Lwz' } } } });
      expect(user.status).toBe('ACTIVE');
      const url = `${emulators.okta.url}/api/v1/users/${user.id}/lifecycle/expire_password_with_temp_password?revokeSessions=true`;
      const answer = (await (await client.http.post(url)).json()) as { tempPassword: string };
      expect(answer.tempPassword).toMatch(/^(?=.*[a-z])(?=.*[A-Z])(?=.*\d)\w{10}$/);
      const stored = emulator().state.users.get(user.id ?? '');
      expect(stored?.status).toBe('PASSWORD_EXPIRED');
      expect(stored?.sessionsClearedAt).not.toBeNull();
      // The SDK method parses the answer as a User and loses the password (round2 §2).
      expect(await client.userApi.expirePasswordAndGetTemporaryPassword({ userId: user.id ?? '' })).not.toHaveProperty('tempPassword');

      const staged = await client.userApi.createUser({ body: { profile: profile('d.tmp@example.org') as never }, activate: false });
      expect((await oktaError(client.userApi.expirePassword({ userId: staged.id ?? '' }))).errorCode).toBe('E0000038');
      await client.userApi.activateUser({ userId: staged.id ?? '', sendEmail: false });
      expect((await client.userApi.expirePassword({ userId: staged.id ?? '' })).status).toBe('PASSWORD_EXPIRED');

      await client.userApi.revokeUserSessions({ userId: staged.id ?? '', oauthTokens: true });
      expect(emulator().state.users.get(staged.id ?? '')?.sessionsClearedAt).not.toBeNull();
    });

    it('closes in two steps and answers 404 afterwards', async () => {
      const user = await client.userApi.createUser({ body: { profile: profile('e.tmp@example.org') as never, groupIds: ['00g_paris_inbox'] } });
      const userId = user.id ?? '';
      await client.userApi.deactivateUser({ userId, sendEmail: false });
      expect((await client.userApi.getUser({ userId })).status).toBe('DEPROVISIONED');
      await client.userApi.deleteUser({ userId, sendEmail: false });
      expect((await oktaError(client.userApi.getUser({ userId }))).status).toBe(404);
      expect((await oktaError(client.userApi.deleteUser({ userId }))).errorCode).toBe('E0000007');
      expect(emulator().state.groups.get('00g_paris_inbox')?.members.has(userId)).toBe(false);
    });

    it('keeps applying faults to the new routes', async () => {
      emulator().faults.configure({ outage: { seconds: 60, status: 503, route: 'POST /api/v1/users/*/lifecycle/expire_password_with_temp_password' } });
      await http().post('/api/v1/users/00u_alice/lifecycle/expire_password_with_temp_password').set(AUTH).expect(503);
      emulator().faults.configure({ burst429: { count: 1, retryAfterSec: -1, route: '/api/v1/meta/schemas/*' } });
      // The SDK waits the 429 out by itself.
      expect((await client.schemaApi.getUserSchema({ schemaId: 'default' })).name).toBe('user');
      expect(emulator().faults.injected.rateLimited).toBe(1);
      emulator().faults.clear();
    });
  });

  describe('System Log', () => {
    it('records lifecycle and membership events in the LogEvent shape, filtered by type and target', async () => {
      const since = new Date().toISOString();
      const user = await client.userApi.createUser({ body: { profile: profile('f.tmp@example.org') as never, credentials: { password: { value: 'Kx7-qmPv-2Lwz' } }, groupIds: ['00g_paris_inbox'] }, nextLogin: 'changePassword' });
      await client.groupApi.assignUserToGroup({ groupId: '00g_aws_ro', userId: '00u_alice' });
      await client.groupApi.assignUserToGroup({ groupId: '00g_aws_ro', userId: '00u_alice' }); // no change: no event
      await client.groupApi.unassignUserFromGroup({ groupId: '00g_aws_ro', userId: '00u_alice' });

      const all = await collect(await client.systemLogApi.listLogEvents({ since, until: new Date(Date.now() + 1000).toISOString() }));
      expect(all.map((event) => event.eventType)).toEqual(['user.lifecycle.create', 'user.lifecycle.activate', 'group.user_membership.add', 'group.user_membership.add', 'group.user_membership.remove']);

      const adds = await collect(await client.systemLogApi.listLogEvents({ since, until: new Date(Date.now() + 1000).toISOString(), filter: 'eventType eq "group.user_membership.add" and target.id eq "00u_alice"' }));
      expect(adds).toHaveLength(1);
      const add = adds[0] as LogEvent;
      expect(add.published).toBeInstanceOf(Date);
      expect(add).toMatchObject({
        eventType: 'group.user_membership.add',
        displayMessage: 'Add user to group membership',
        legacyEventType: 'core.user_group_member.user_add',
        version: '0',
        severity: 'INFO',
        outcome: { result: 'SUCCESS' },
        actor: { id: '00u_emulator_admin', type: 'User' },
        target: [
          { id: '00u_alice', type: 'User', alternateId: 'alice@example.com', displayName: 'Alice Archer' },
          { id: '00g_aws_ro', type: 'UserGroup', alternateId: 'aws-readonly' },
        ],
        transaction: { type: 'WEB' },
      });
      expect(add.uuid).toMatch(/^[0-9a-f-]{36}$/);
      expect(add.debugContext?.debugData).toMatchObject({ requestUri: '/api/v1/groups/00g_aws_ro/users/00u_alice' });
      expect(Object.values(add.debugContext?.debugData ?? {}).every((value) => typeof value === 'string')).toBe(true);

      const byActor = await collect(await client.systemLogApi.listLogEvents({ since, until: new Date(Date.now() + 1000).toISOString(), filter: `actor.id eq "00u_emulator_admin" and target.id eq "${user.id}"` }));
      expect(byActor).toHaveLength(3);
    });

    it('pages with an opaque after cursor and Link rel="next", in either order, with keywords', async () => {
      const since = new Date().toISOString();
      for (const groupId of ['00g_aws_ro', '00g_paris_inbox', '00g_field_calendar', '00g_medium_risk', '00g_security']) {
        await client.groupApi.assignUserToGroup({ groupId, userId: '00u_erin' });
      }
      const until = new Date(Date.now() + 1000).toISOString();
      emulator().requests.length = 0;
      const ascending = await collect(await client.systemLogApi.listLogEvents({ since, until, limit: 2 }));
      expect(ascending.map((event) => event.target?.[1]?.id)).toEqual(['00g_aws_ro', '00g_paris_inbox', '00g_field_calendar', '00g_medium_risk', '00g_security']);
      expect(emulator().requests.filter((r) => r.path.startsWith('/api/v1/logs'))).toHaveLength(3);

      const descending = await collect(await client.systemLogApi.listLogEvents({ since, until, limit: 2, sortOrder: 'DESCENDING' }));
      expect(descending.map((event) => event.uuid)).toEqual(ascending.map((event) => event.uuid).reverse());

      const keyword = await collect(await client.systemLogApi.listLogEvents({ since, until, q: 'field-calendar erin' }));
      expect(keyword.map((event) => event.target?.[1]?.id)).toEqual(['00g_field_calendar']);
    });

    it('keeps a next link on polling requests (no until), and rejects bad parameters', async () => {
      await client.groupApi.assignUserToGroup({ groupId: '00g_aws_ro', userId: '00u_erin' });
      const first = await http().get('/api/v1/logs').set(AUTH).expect(200);
      expect(first.body).toHaveLength(1);
      const next = /<([^>]+)>; rel="next"/.exec(first.headers.link ?? '')?.[1] ?? '';
      expect(next).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1\/logs\?after=\d+$/);
      const empty = await http().get(next.replace(/^http:\/\/[^/]+/, '')).set(AUTH).expect(200);
      expect(empty.body).toEqual([]);
      expect(empty.headers.link).toContain('rel="next"');

      expect((await http().get('/api/v1/logs').query({ since: 'yesterday' }).set(AUTH).expect(400)).body.errorCode).toBe('E0000030');
      expect((await http().get('/api/v1/logs').query({ filter: 'eventType eq' }).set(AUTH).expect(400)).body.errorCode).toBe('E0000031');
      expect((await http().get('/api/v1/logs').query({ limit: 1001 }).set(AUTH).expect(400)).body.errorCode).toBe('E0000001');
      expect((await http().get('/api/v1/logs').query({ sortOrder: 'up' }).set(AUTH).expect(400)).body.errorCode).toBe('E0000001');
    });

    it('logs app assignments made through the Apps API with AppUser, AppInstance and User targets', async () => {
      await client.applicationApi.assignUserToApplication({ appId: '0oa_pam', appUser: { id: '00u_carol', scope: 'USER' } });
      await client.applicationApi.assignUserToApplication({ appId: '0oa_pam', appUser: { id: '00u_carol', scope: 'USER' } }); // an update, not a new assignment
      await http().put('/api/v1/apps/0oa_payroll/users/00u_carol').set(AUTH).send({}).expect(200);
      await client.applicationApi.unassignUserFromApplication({ appId: '0oa_pam', userId: '00u_carol' });

      const events = emulator().state.systemLog.all();
      expect(events.map((event) => `${event.eventType} ${event.target[1]?.id}`)).toEqual([
        'application.user_membership.add 0oa_pam',
        'application.user_membership.add 0oa_payroll',
        'application.user_membership.remove 0oa_pam',
      ]);
      expect(events[0]).toMatchObject({
        displayMessage: 'Add user to application membership',
        legacyEventType: 'app.generic.provision.assign_user_to_app',
        target: [
          { id: '0ua_carol', type: 'AppUser', alternateId: 'carol@example.com' },
          { id: '0oa_pam', type: 'AppInstance', alternateId: 'Privileged access manager' },
          { id: '00u_carol', type: 'User', alternateId: 'carol@example.com' },
        ],
        debugContext: { debugData: { appname: 'Privileged access manager' } },
      });
    });

    it('logs deactivation (with the app assignments it removes) and deletion', async () => {
      await client.applicationApi.assignUserToApplication({ appId: '0oa_wiki', appUser: { id: '00u_erin', scope: 'USER' } });
      await client.userApi.deactivateUser({ userId: '00u_erin' });
      await client.userApi.deleteUser({ userId: '00u_erin' });
      expect(emulator().state.systemLog.all().map((event) => event.eventType)).toEqual([
        'application.user_membership.add',
        'user.lifecycle.deactivate',
        'application.user_membership.remove',
        'user.lifecycle.delete.initiated',
      ]);
    });
  });
});
