import { generateKeyPairSync } from 'node:crypto';
import { createOktaAdapter, generateTemporaryPassword, type OktaAdapter } from '../../activities/adapters/okta';
import { directoryWithBigGroup, failureOf, startTestEmulators, type RunningEmulators } from '../helpers/emulators';
import { waitFor } from '../helpers/wait';

const BULK_GROUP = '00g_bulk';
const PAGE_SIZE = 5;
const BULK_MEMBERS = 12;

describe('Okta adapter against the Okta emulator (real okta-sdk-nodejs)', () => {
  let emulators: RunningEmulators;
  let okta: OktaAdapter;

  beforeAll(async () => {
    emulators = await startTestEmulators({ okta: { pageSize: PAGE_SIZE }, slack: false, jira: false, directory: directoryWithBigGroup(BULK_GROUP, BULK_MEMBERS) });
    // A trailing slash must not break the client (the SDK would request //api/v1/...).
    okta = createOktaAdapter({ orgUrl: `${emulators.okta.url}/`, token: 'test-token' });
  });
  afterAll(() => emulators?.close());
  beforeEach(() => {
    emulators.okta.emulator.faults.clear();
    emulators.okta.emulator.requests.length = 0;
  });

  const state = () => emulators.okta.emulator.state;

  it('gets a user by login and by id, with the profile attributes policies use', async () => {
    const alice = await okta.getUser('alice@example.com');
    expect(alice).toMatchObject({ id: '00u_alice', login: 'alice@example.com', email: 'alice@example.com', displayName: 'Alice Archer', status: 'ACTIVE' });
    expect(alice?.profile).toMatchObject({ department: 'Engineering', managerId: '00u_bob', manager: 'bob@example.com' });
    expect((await okta.getUser('00u_bob'))?.login).toBe('bob@example.com');
    // The login travelled URL-encoded.
    expect(emulators.okta.emulator.requests.some((r) => r.path === '/api/v1/users/alice%40example.com')).toBe(true);
  });

  it('returns null for an unknown user or group, and gets a group', async () => {
    expect(await okta.getUser('nobody@example.com')).toBeNull();
    expect(await okta.getGroup('00g_missing')).toBeNull();
    expect(await okta.getGroup('00g_prod_db_admin')).toEqual({ id: '00g_prod_db_admin', name: 'prod-db-admin' });
  });

  it('adds a member twice and removes it twice without failing', async () => {
    await okta.addUserToGroup('00g_aws_ro', '00u_alice');
    await okta.addUserToGroup('00g_aws_ro', '00u_alice');
    expect(state().groups.get('00g_aws_ro')?.members.has('00u_alice')).toBe(true);
    expect(await okta.isGroupMember('00g_aws_ro', '00u_alice')).toBe(true);

    await okta.removeUserFromGroup('00g_aws_ro', '00u_alice');
    await okta.removeUserFromGroup('00g_aws_ro', '00u_alice');
    expect(state().groups.get('00g_aws_ro')?.members.has('00u_alice')).toBe(false);
    expect(await okta.isGroupMember('00g_aws_ro', '00u_alice')).toBe(false);
  });

  it('treats removing a user who no longer exists as success', async () => {
    const temp = await okta.createUser({ login: 'gone@example.com', email: 'gone@example.com', firstName: 'Gone', lastName: 'Soon', groupIds: ['00g_aws_ro'] });
    expect(state().groups.get('00g_aws_ro')?.members.has(temp.id)).toBe(true);
    await okta.deleteUser(temp.id);
    expect(state().users.has(temp.id)).toBe(false);
    await expect(okta.removeUserFromGroup('00g_aws_ro', temp.id)).resolves.toBeUndefined();
    expect(await okta.isGroupMember('00g_aws_ro', temp.id)).toBe(false);
  });

  it('lists every member of a group across Link-paginated pages', async () => {
    const members = await okta.listGroupMembers(BULK_GROUP);
    expect(members).toHaveLength(BULK_MEMBERS);
    expect(new Set(members.map((m) => m.id)).size).toBe(BULK_MEMBERS);
    const pages = emulators.okta.emulator.requests.filter((r) => r.path.startsWith(`/api/v1/groups/${BULK_GROUP}/users`));
    expect(pages).toHaveLength(Math.ceil(BULK_MEMBERS / PAGE_SIZE));
    expect(pages.slice(1).every((r) => r.path.includes('after='))).toBe(true);
  });

  it('classifies a 404 on add as a non-retryable OktaRejected', async () => {
    const failure = await failureOf(okta.addUserToGroup('00g_aws_ro', '00u_nobody'));
    expect(failure.type).toBe('OktaRejected');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('E0000007');
  });

  // The SDK does not wait inside the activity (maxRetries 0): a 429 becomes OktaRateLimited with
  // the delay Okta asked for, and Temporal's retry policy, visible in the history, does the waiting.
  it('turns a 429 into OktaRateLimited with a retry delay instead of waiting inside the activity', async () => {
    emulators.okta.emulator.faults.configure({ burst429: { count: 1, retryAfterSec: -1, route: '/api/v1/users/*' } });
    const failure = await failureOf(okta.getUser('carol@example.com'));
    expect(failure.type).toBe('OktaRateLimited');
    expect(failure.nonRetryable).toBe(false);
    expect(failure.nextRetryDelay).toBeDefined();
    expect(emulators.okta.emulator.faults.injected.rateLimited).toBe(1);
    // The retry after the burst succeeds.
    expect((await okta.getUser('carol@example.com'))?.id).toBe('00u_carol');
  });

  it('reports a 5xx outage as retryable OktaUnavailable, then succeeds once it ends', async () => {
    emulators.okta.emulator.faults.configure({ outage: { seconds: 0.3, status: 503 } });
    const failure = await failureOf(okta.addUserToGroup('00g_aws_ro', '00u_erin'));
    expect(failure.type).toBe('OktaUnavailable');
    expect(failure.nonRetryable).toBe(false);
    await waitFor(async () => (await okta.addUserToGroup('00g_aws_ro', '00u_erin'), true), 'the outage to end', 5000);
    expect(state().groups.get('00g_aws_ro')?.members.has('00u_erin')).toBe(true);
  });

  it('reports a refused connection as retryable OktaUnavailable', async () => {
    const offline = createOktaAdapter({ orgUrl: 'http://127.0.0.1:9', token: 't' });
    const failure = await failureOf(offline.getUser('alice@example.com'));
    expect(failure.type).toBe('OktaUnavailable');
    expect(failure.nonRetryable).toBe(false);
  });

  it('runs the user lifecycle idempotently', async () => {
    const user = await okta.createUser({ login: 'temp.worker@example.com', email: 'temp.worker@example.com', firstName: 'Temp', lastName: 'Worker', profile: { department: 'Ops' } });
    expect(user.status).toBe('PROVISIONED');
    // A retried create finds the user the first attempt made.
    expect((await okta.createUser({ login: 'temp.worker@example.com', email: 'temp.worker@example.com', firstName: 'Temp', lastName: 'Worker' })).id).toBe(user.id);

    await okta.suspendUser('00u_mallory');
    await okta.suspendUser('00u_mallory');
    expect(state().users.get('00u_mallory')?.status).toBe('SUSPENDED');
    await okta.unsuspendUser('00u_mallory');
    await okta.unsuspendUser('00u_mallory');
    expect(state().users.get('00u_mallory')?.status).toBe('ACTIVE');

    await okta.clearUserSessions('00u_mallory');
    expect(state().users.get('00u_mallory')?.sessionsClearedAt).not.toBeNull();

    await okta.assignUserToApp('0oa_wiki', user.id);
    await okta.assignUserToApp('0oa_wiki', user.id);
    expect(state().apps.get('0oa_wiki')?.users.has(user.id)).toBe(true);
    await okta.unassignUserFromApp('0oa_wiki', user.id);
    await okta.unassignUserFromApp('0oa_wiki', user.id);
    expect(state().apps.get('0oa_wiki')?.users.has(user.id)).toBe(false);

    await okta.deactivateUser(user.id);
    expect(state().users.get(user.id)?.status).toBe('DEPROVISIONED');
    await okta.deleteUser(user.id);
    await okta.deleteUser(user.id);
    expect(state().users.has(user.id)).toBe(false);
  });

  describe('temporary accounts', () => {
    const GATEHOUSE_ATTRIBUTES = { gatehouseTemporary: { title: 'Gatehouse temporary account', type: 'boolean' }, gatehouseManager: { title: 'Gatehouse manager', type: 'string' } };
    const account = (login: string) => ({
      login,
      email: login,
      firstName: 'Élodie',
      lastName: 'Lefèvre',
      profile: { gatehouseTemporary: true, gatehouseManager: 'bob@example.com' },
      groupIds: ['00g_paris_inbox', '00g_field_calendar'],
    });
    const POLICY = /^(?=.*[a-z])(?=.*[A-Z])(?=.*\d).{16}$/;

    it('refuses the custom attributes until the schema has them (400 E0000001, not retried)', async () => {
      const failure = await failureOf(okta.createUserWithTemporaryPassword(account('early.tmp@example.org')));
      expect(failure).toMatchObject({ type: 'OktaRejected', nonRetryable: true });
      expect(failure.message).toContain('E0000001');
      expect(state().findByLogin('early.tmp@example.org')).toBeUndefined();
      state().schema.update({ definitions: { custom: { properties: GATEHOUSE_ATTRIBUTES } } });
    });

    it('creates the account with a password to change at first sign-in, in its groups', async () => {
      const { user, temporaryPassword } = await okta.createUserWithTemporaryPassword(account('elodie.lefevre.tmp@example.org'));
      expect(user).toMatchObject({ login: 'elodie.lefevre.tmp@example.org', status: 'PASSWORD_EXPIRED', profile: { gatehouseTemporary: true, gatehouseManager: 'bob@example.com' } });
      expect(temporaryPassword).toMatch(POLICY);
      expect(state().groups.get('00g_paris_inbox')?.members.has(user.id)).toBe(true);
      expect(state().groups.get('00g_field_calendar')?.members.has(user.id)).toBe(true);
      expect(emulators.okta.emulator.requests.some((r) => r.method === 'POST' && r.path === '/api/v1/users?activate=true&nextLogin=changePassword' && r.status === 200)).toBe(true);
    });

    it('a retried create finds the user it made and issues a new temporary password', async () => {
      const first = await okta.createUserWithTemporaryPassword(account('retry.tmp@example.org'));
      const again = await okta.createUserWithTemporaryPassword(account('retry.tmp@example.org'));
      expect(again.user.id).toBe(first.user.id);
      expect(again.user.status).toBe('PASSWORD_EXPIRED');
      expect(again.temporaryPassword).not.toBe(first.temporaryPassword);
      expect(emulators.okta.emulator.requests.some((r) => r.path === `/api/v1/users/${first.user.id}/lifecycle/expire_password_with_temp_password?revokeSessions=true` && r.status === 200)).toBe(true);
      expect([...state().users.values()].filter((u) => u.profile.login === 'retry.tmp@example.org')).toHaveLength(1);
    });

    it('refuses a login someone else holds (409, not retried) instead of taking their account over', async () => {
      const failure = await failureOf(okta.createUserWithTemporaryPassword({ ...account('alice@example.com'), firstName: 'Alice', lastName: 'Archer' }));
      expect(failure).toMatchObject({ type: 'OktaRejected', nonRetryable: true, details: [{ status: 409 }] });
      expect(state().users.get('00u_alice')?.status).toBe('ACTIVE');
    });

    it('finds taken logins by prefix, case-insensitively, deactivated ones included', async () => {
      await okta.createUser({ login: 'Elodie.Lefevre.Tmp2@example.org', email: 'elodie.lefevre.tmp2@example.org', firstName: 'E', lastName: 'L' });
      await okta.deactivateUser('elodie.lefevre.tmp2@example.org');
      const found = await okta.findUsersByLoginPrefix('elodie.lefevre.tmp');
      expect(found.map((u) => u.login.toLowerCase()).sort()).toEqual(['elodie.lefevre.tmp2@example.org', 'elodie.lefevre.tmp@example.org']);
      expect(emulators.okta.emulator.requests.some((r) => r.path.startsWith('/api/v1/users?search=profile.login%20sw%20%22elodie.lefevre.tmp%22'))).toBe(true);
      // A quote in the prefix is escaped, not a syntax error.
      expect(await okta.findUsersByLoginPrefix('o"brien')).toEqual([]);
    });

    it('issues a new temporary password over raw HTTP, classifying 429s and failures', async () => {
      const { user } = await okta.createUserWithTemporaryPassword(account('reissue.tmp@example.org'));
      const route = `POST /api/v1/users/${user.id}/lifecycle/expire_password_with_temp_password`;
      emulators.okta.emulator.faults.configure({ burst429: { count: 1, retryAfterSec: -1, route } });
      expect(await failureOf(okta.issueTemporaryPassword(user.id))).toMatchObject({ type: 'OktaRateLimited', nonRetryable: false });
      expect(emulators.okta.emulator.faults.injected.rateLimited).toBe(1);
      expect(await okta.issueTemporaryPassword(user.id)).toMatch(/^\w{10}$/);
      emulators.okta.emulator.faults.configure({ outage: { seconds: 60, status: 502, route } });
      expect(await failureOf(okta.issueTemporaryPassword(user.id))).toMatchObject({ type: 'OktaUnavailable', nonRetryable: false });
      emulators.okta.emulator.faults.clear();

      // A STAGED user has no password to expire: Okta's 403 E0000038 is not an auth problem.
      const staged = await okta.createUser({ login: 'staged.tmp@example.org', email: 'staged.tmp@example.org', firstName: 'S', lastName: 'T', activate: false });
      expect(await failureOf(okta.issueTemporaryPassword(staged.id))).toMatchObject({ type: 'OktaRejected', nonRetryable: true });
      expect(await failureOf(okta.issueTemporaryPassword('00u_nobody'))).toMatchObject({ type: 'OktaRejected', nonRetryable: true });
    });

    it('a create during an outage is retryable, and the retry after it creates the account once', async () => {
      emulators.okta.emulator.faults.configure({ outage: { seconds: 0.3, status: 503, route: 'POST /api/v1/users' } });
      expect(await failureOf(okta.createUserWithTemporaryPassword(account('outage.tmp@example.org')))).toMatchObject({ type: 'OktaUnavailable', nonRetryable: false });
      const made = await waitFor(() => okta.createUserWithTemporaryPassword(account('outage.tmp@example.org')), 'the outage to end', 5000);
      expect(made.user.status).toBe('PASSWORD_EXPIRED');
      expect([...state().users.values()].filter((u) => u.profile.login === 'outage.tmp@example.org')).toHaveLength(1);
    });

    it('closes the account: sessions, deactivate, delete; a user already gone is done', async () => {
      const { user } = await okta.createUserWithTemporaryPassword(account('close.tmp@example.org'));
      await okta.clearUserSessions(user.id);
      expect(state().users.get(user.id)?.sessionsClearedAt).not.toBeNull();
      await okta.deactivateUser(user.id);
      await okta.deleteUser(user.id);
      expect(state().users.has(user.id)).toBe(false);
      await okta.clearUserSessions(user.id);
      await okta.deactivateUser(user.id);
      await okta.deleteUser(user.id);
      expect(await okta.getUser(user.id)).toBeNull();
    });

    it('generates readable passwords that meet the policy and avoid the name', () => {
      for (let i = 0; i < 200; i += 1) {
        const password = generateTemporaryPassword(['elodie', 'Lefevre']);
        expect(password).toMatch(POLICY);
        expect(password).not.toMatch(/[0O1lI]/);
        expect(password.toLowerCase()).not.toContain('elodie');
      }
    });
  });

  it('authenticates as an OAuth service app with a private-key JWT', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const serviceApp = createOktaAdapter({ orgUrl: emulators.okta.url, clientId: '0oa_gatehouse', privateKey: pem, keyId: 'kid-1' });
    expect((await serviceApp.getUser('dave@example.com'))?.id).toBe('00u_dave');
    expect(emulators.okta.emulator.requests.some((r) => r.method === 'POST' && r.path === '/oauth2/v1/token' && r.status === 200)).toBe(true);
    expect([...state().accessTokens.values()]).toContainEqual(expect.objectContaining({ clientId: '0oa_gatehouse' }));
  });
});
