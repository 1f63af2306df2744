/** The temporary-account rules (workflows/temporary-account/state.ts) and login making, without Temporal. */
import { asciiName, firstFreeLogin, loginBase } from '../../activities/temporary-login';
import { checkAccountChoices } from '../../activities/policy/temporary-accounts';
import * as S from '../../workflows/temporary-account/state';
import { formatValidity } from '../../workflows/temporary-account/wording';
import type { TemporaryAccountInput } from '../../workflows/temporary-account/types';
import { testPolicy } from '../helpers/policies';

const H = 3_600_000;
const T0 = Date.parse('2026-12-01T10:00:00.000Z');

function input(extra: Partial<TemporaryAccountInput> = {}): TemporaryAccountInput {
  return {
    accountId: '01J00000000000000000000000',
    manager: 'bob@example.com',
    firstName: 'Élodie',
    lastName: 'Lefèvre',
    validityMs: 24 * H,
    groups: ['paris-shared-inbox'],
    reason: 'redeployed',
    submittedAt: new Date(T0).toISOString(),
    resolved: { managerUserId: '00u_bob', managerDisplayName: 'Bob Baker', loginPattern: '{first}.{last}.tmp', domain: 'example.org', groups: [], maxTotalMs: 5 * 24 * H, expiryWarningMs: 2 * H, admins: ['dave@example.com'] },
    ...extra,
  };
}

/** An account created a second after it was asked for. */
function active() {
  const s = S.initialState(input(), T0);
  S.applyCreated(s, { userId: '00u_x', at: T0 + 1000 });
  return s;
}

describe('logins', () => {
  it.each([
    ['Élodie', 'elodie'],
    ['Lefèvre-Dupont', 'lefevre-dupont'],
    ['van der Berg', 'van-der-berg'],
    ["O'Brien", 'obrien'],
    ['Groß', 'gross'],
    ['Łukasz', 'lukasz'],
    ['Søren Ærø', 'soren-aero'],
    ['Œdipe', 'oedipe'],
    ['  Anne--Marie ', 'anne-marie'],
    ['Nguyễn', 'nguyen'],
    ['Иван', ''],
  ])('%j → %j', (name, ascii) => expect(asciiName(name)).toBe(ascii));

  it('fills the pattern; a name without Latin letters makes none', () => {
    expect(loginBase('{first}.{last}.tmp', 'Élodie', 'Lefèvre-Dupont')).toBe('elodie.lefevre-dupont.tmp');
    expect(loginBase('tmp-{last}-{first}', 'Jürgen', 'Groß')).toBe('tmp-gross-jurgen');
    expect(loginBase('{first}.{last}', 'Иван', 'Petrov')).toBeNull();
  });

  it('suffixes 2, 3… past the logins taken', () => {
    expect(firstFreeLogin('elodie.lefevre.tmp', 'example.org', new Set())).toBe('elodie.lefevre.tmp@example.org');
    expect(firstFreeLogin('elodie.lefevre.tmp', 'example.org', new Set(['elodie.lefevre.tmp@example.org']))).toBe('elodie.lefevre.tmp2@example.org');
    expect(firstFreeLogin('e.l.tmp', 'example.org', new Set(['e.l.tmp@example.org', 'e.l.tmp2@example.org', 'e.l.tmp4@example.org']))).toBe('e.l.tmp3@example.org');
  });
});

describe('the policy offer', () => {
  const t = testPolicy().temporaryAccounts!;
  it('lists every choice not offered, with what is', () => {
    expect(checkAccountChoices(t, { validityMs: 24 * H, groups: ['field-calendar'] })).toEqual([]);
    expect(checkAccountChoices(t, { validityMs: 12 * H, groups: ['payroll'] })).toEqual([
      { field: 'groups', message: 'no such group for temporary accounts: payroll', allowed: ['paris-shared-inbox', 'field-calendar'] },
      { field: 'validity', message: '12h is not a validity the policy offers', allowed: ['4s', '24h', '48h'] },
    ]);
    // Object.prototype's keys are not groups.
    expect(checkAccountChoices(t, { validityMs: 24 * H, groups: ['constructor'] })[0]?.field).toBe('groups');
  });

  it('says validities as managers do', () => {
    expect([24 * H, 48 * H, 72 * H, 5 * 24 * H, 30_000].map(formatValidity)).toEqual(['24h', '48h', '72h', '5d', '30s']);
  });
});

describe('temporary account state', () => {
  it('activates for its validity, never past createdAt + maxTotal', () => {
    const s = active();
    expect(s.status).toBe('active');
    expect(s.expiresAt).toBe(new Date(T0 + 1000 + 24 * H).toISOString());
    expect(s.maxExpiresAt).toBe(new Date(T0 + 5 * 24 * H).toISOString());
    const late = S.initialState(input({ validityMs: 48 * H, resolved: { ...input().resolved, maxTotalMs: 24 * H } }), T0);
    S.applyCreated(late, { userId: 'u', at: T0 + 1000 });
    expect(late.expiresAt).toBe(late.maxExpiresAt);
  });

  it('extends for the manager or a security admin, up to the limit, and names the limit when refusing', () => {
    const s = active();
    expect(S.checkExtend(s, { actor: 'carol@example.com', durationMs: H })?.type).toBe('NotAllowed');
    expect(S.checkExtend(s, { actor: 'dave@example.com', durationMs: H })).toBeNull();
    expect(S.checkExtend(s, { actor: 'BOB@example.com', durationMs: H })).toBeNull();
    const tooFar = S.checkExtend(s, { actor: 'bob@example.com', durationMs: 5 * 24 * H });
    expect(tooFar?.type).toBe('BeyondPolicy');
    expect(tooFar?.message).toContain(s.maxExpiresAt);
    expect(S.checkExtend(s, { actor: 'bob@example.com', durationMs: 0 })?.type).toBe('InvalidInput');
    expect(S.checkExtend(s, { actor: 'bob\ud800', durationMs: H })?.type).toBe('InvalidInput');
    S.applyExtension(s, { actor: 'bob@example.com', durationMs: 48 * H }, T0 + 2000);
    expect(s.expiresAt).toBe(new Date(T0 + 1000 + 72 * H).toISOString());
    expect(s.extensions).toHaveLength(1);
    // What is left: exactly up to the limit (4d minus the second it took to make).
    expect(S.extensionRoomMs(s)).toBe(2 * 24 * H - 1000);
    expect(S.checkExtend(s, { actor: 'bob@example.com', durationMs: S.extensionRoomMs(s) })).toBeNull();
    expect(S.checkExtend(s, { actor: 'bob@example.com', durationMs: S.extensionRoomMs(s) + 1 })?.type).toBe('BeyondPolicy');
  });

  it('offers extensions that fit, the last one all the room left', () => {
    const s = active();
    const choices = S.extensionChoices(s);
    expect(choices.at(-1)).toBe(Math.floor(S.extensionRoomMs(s) / 1000) * 1000);
    expect(choices.every((ms) => S.checkExtend(s, { actor: 'bob@example.com', durationMs: ms }) === null)).toBe(true);
    expect(choices).toContain(24 * H);
    s.expiresAt = s.maxExpiresAt;
    expect(S.extensionChoices(s)).toEqual([]);
  });

  it('closes once: an Update is refused twice, a signal is ignored when already closing, a cancellation closes', () => {
    const s = active();
    expect(S.checkClose(s, { actor: 'erin@example.com' })?.type).toBe('NotAllowed');
    expect(S.checkClose(s, { actor: 'bob@example.com' })).toBeNull();
    S.applyCloseRequest(s, { actor: 'bob@example.com', reason: 'done' }, T0 + 5000);
    expect(s.status).toBe('closing');
    expect(S.checkClose(s, { actor: 'bob@example.com' })?.type).toBe('WrongState');
    expect(S.checkExtend(s, { actor: 'bob@example.com', durationMs: H })?.type).toBe('WrongState');
    expect(S.onCloseSignal(s, { actor: 'system:risk', reason: 'risk: HIGH' }, T0 + 6000)).toBe(false);
    expect(S.endOf(s)).toEqual({ by: 'bob@example.com', reason: 'closed by bob@example.com: done' });

    const risky = active();
    expect(S.onCloseSignal(risky, { actor: 'system:risk', reason: 'risk: HIGH' }, T0 + 6000)).toBe(true);
    expect(risky.closeRequested).toMatchObject({ by: 'system:risk', via: 'system' });
    expect(S.endOf(risky).reason).toBe('closed by system:risk: risk: HIGH');

    const cancelled = active();
    expect(S.onWorkflowCancelled(cancelled, T0)).toBe(true);
    expect(cancelled.closeRequested?.by).toBe(S.WORKFLOW_CANCELLED_ACTOR);
    expect(S.endOf(active())).toEqual({ by: 'gatehouse', reason: 'the account reached its expiry' });
  });

  it('a close asked for while the account is being made keeps it closing once made', () => {
    const s = S.initialState(input(), T0);
    expect(S.checkClose(s, { actor: 'bob@example.com' })).toBeNull();
    S.applyCloseRequest(s, { actor: 'bob@example.com' }, T0 + 10);
    expect(s.status).toBe('provisioning');
    S.applyCreated(s, { userId: 'u', at: T0 + 1000 });
    expect(s.status).toBe('closing');
  });

  it('warns expiryWarning before the end, once per expiry, never for an account shorter than its warning', () => {
    const s = active();
    expect(S.expiryWarningDueAt(s)).toBe(Date.parse(s.expiresAt!) - 2 * H);
    s.expiryWarnedFor = s.expiresAt;
    expect(S.expiryWarningDueAt(s)).toBeUndefined();
    S.applyExtension(s, { actor: 'bob@example.com', durationMs: H }, T0);
    expect(S.expiryWarningDueAt(s)).toBe(Date.parse(s.expiresAt!) - 2 * H);
    const short = S.initialState(input({ validityMs: H }), T0);
    S.applyCreated(short, { userId: 'u', at: T0 });
    expect(S.expiryWarningDueAt(short)).toBeUndefined();
  });
});
