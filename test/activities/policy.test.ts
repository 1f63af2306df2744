import { parseDuration } from '../../activities/policy/duration';
import { loadPolicy, parsePolicy, PolicyError } from '../../activities/policy/load';
import { isEligible, resolveRequest } from '../../activities/policy/resolve';
import { createFakePorts } from '../../activities/fakes';

describe('policy durations', () => {
  it.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['PT2H', 7_200_000],
    ['P1DT12H', 129_600_000],
    ['PT1.5S', 1500],
    ['0s', 0],
  ])('%s = %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '2', 'h', '2 hours', 'P', 'PT', '-5m', '1y'])('rejects %j', (text) => expect(parseDuration(text)).toBeNull());
});

describe('policy file', () => {
  it('loads the demo policy', () => {
    const p = loadPolicy('config/policy.yaml');
    expect(Object.keys(p.resources)).toEqual(['prod-db-admin', 'aws-readonly']);
    expect(p.resources['prod-db-admin']!.duration).toEqual({ default: 3_600_000, max: 14_400_000, min: 5000 });
    expect(p.defaults).toEqual({ approvalTimeout: 86_400_000, reminderAfter: 1_800_000, expiryWarning: 600_000 });
  });

  it('lists every problem at once, with its path', () => {
    const broken = `
defaults: { approvalTimeout: soon }
resources:
  Bad Key:
    name: x
    okta: { groupId: g }
    duration: { default: 5h, max: 1h }
    approval: { steps: [ { approvers: ceo } ] }
  db:
    name: DB
    okta: { groupId: g }
    duration: { default: 1h, max: 2h }
    justification: { pattern: "([" }
    eligibility: { any: [ { attribute: department, equals: Eng, in: [Eng] } ] }
    approval: { steps: [ { approvers: owners, count: 0 } ] }
    colour: blue
`;
    let error: PolicyError | undefined;
    try {
      parsePolicy(broken, 'broken.yaml');
    } catch (e) {
      error = e as PolicyError;
    }
    expect(error).toBeInstanceOf(PolicyError);
    const text = error!.problems.join('\n');
    expect(text).toMatch(/defaults\.approvalTimeout: "soon" is not a duration/);
    expect(text).toMatch(/resources\.Bad Key.*lowercase/);
    expect(text).toMatch(/duration\.default must not exceed duration\.max/);
    expect(text).toMatch(/resources\.db\.justification\.pattern: not a valid regular expression/);
    expect(text).toMatch(/exactly one of equals, in, matches/);
    expect(text).toMatch(/resources\.db\.approval\.steps\.0\.count/);
    expect(text).toMatch(/colour/);
    expect(error!.problems.length).toBeGreaterThanOrEqual(7);
    expect(error!.message).toContain('broken.yaml');
  });

  it('reports YAML syntax errors and an empty catalogue', () => {
    expect(() => parsePolicy('resources: [unclosed', 'x.yaml')).toThrow(/YAML/);
    expect(() => parsePolicy('resources: {}', 'x.yaml')).toThrow(/defines no resource/);
    expect(() => loadPolicy('/nonexistent/policy.yaml')).toThrow(/cannot read the file/);
  });
});

describe('eligibility', () => {
  const profile = { department: 'Engineering', title: 'Staff Engineer', location: 'Paris', tags: ['oncall', 'db'] };
  it('matches any / all of equals, in and matches, including list attributes', () => {
    expect(isEligible(undefined, profile)).toBe(true);
    expect(isEligible({ any: [{ attribute: 'department', in: ['Engineering', 'SRE'] }] }, profile)).toBe(true);
    expect(isEligible({ any: [{ attribute: 'department', equals: 'Sales' }, { attribute: 'title', matches: 'Engineer$' }] }, profile)).toBe(true);
    expect(isEligible({ all: [{ attribute: 'department', equals: 'Engineering' }, { attribute: 'location', equals: 'Berlin' }] }, profile)).toBe(false);
    expect(isEligible({ all: [{ attribute: 'tags', equals: 'oncall' }] }, profile)).toBe(true);
    expect(isEligible({ any: [{ attribute: 'missing', matches: '.*' }] }, profile)).toBe(false);
  });
});

describe('resolution', () => {
  const policy = loadPolicy('config/policy.yaml');
  const { okta } = createFakePorts();
  const resolve = (over: Record<string, unknown>) =>
    resolveRequest(policy, okta, { requester: 'alice@example.com', resource: 'prod-db-admin', justification: 'OPS-1 fix', ...over });

  it('snapshots the approvers: the manager from the profile, then the owners', async () => {
    const r = await resolve({});
    if (!r.ok) throw new Error(r.message);
    expect(r.resolved.steps).toEqual([
      { label: 'manager', approvers: ['bob@example.com'], count: 1 },
      { label: 'owners', approvers: ['carol@example.com'], count: 1 },
    ]);
    expect(r.resolved).toMatchObject({ oktaGroupId: '00g_prod_db_admin', requesterUserId: '00u_alice', durationMs: 3_600_000, maxExtensions: 2, maxTotalMs: 28_800_000 });
  });

  it.each([
    [{ resource: 'nope' }, 'unknown_resource'],
    [{ resource: 'constructor' }, 'unknown_resource'],
    [{ requester: 'nobody@example.com' }, 'unknown_user'],
    [{ requester: 'erin@example.com' }, 'not_eligible'],
    [{ requester: 'mallory@example.com' }, 'risk_gate'],
    [{ durationMs: 5 * 3_600_000 }, 'duration_exceeds_policy'],
    [{ durationMs: 1000 }, 'duration_exceeds_policy'],
    [{ justification: '' }, 'justification_required'],
    [{ justification: 'because' }, 'justification_invalid'],
  ])('refuses %j as %s', async (over, code) => {
    const r = await resolve(over);
    expect(r.ok ? 'ok' : r.code).toBe(code);
  });

  it('refuses a step that cannot be approved by anyone but the requester', async () => {
    // bob has no manager: a manager step has nobody to ask.
    const r = await resolve({ requester: 'bob@example.com' });
    expect(r.ok ? 'ok' : r.code).toBe('no_approvers');
  });
});

describe('temporaryAccounts policy (SPEC §11)', () => {
  const base = 'resources: { a: { name: A, okta: { groupId: g }, duration: { default: 1h, max: 2h }, approval: { auto: true } } }\n';

  it('demo: bob and frank may ask (by title), carol and alice may not; the SPEC §9 groups and choices', async () => {
    const p = loadPolicy('config/policy.yaml');
    const t = p.temporaryAccounts!;
    expect(Object.entries(t.groups).map(([k, g]) => `${k}=${g.groupId}`)).toEqual(['paris-shared-inbox=00g_paris_inbox', 'field-calendar=00g_field_calendar']);
    expect(t.validity).toEqual([86_400_000, 172_800_000, 30_000]);
    expect(t.maxTotal).toBe(5 * 86_400_000);
    const { okta } = createFakePorts();
    const eligible = await Promise.all(['bob', 'frank', 'carol', 'alice', 'dave'].map(async (n) => isEligible(t.requesters, (await okta.getUser(`${n}@example.com`))!.profile)));
    expect(eligible).toEqual([true, true, false, false, false]);
  });

  it('lists every problem of the block at once', () => {
    let error: PolicyError | undefined;
    try {
      parsePolicy(
        `${base}temporaryAccounts:
  requesters: { any: [ { attribute: title } ] }
  login: { pattern: "{first}.tmp", domain: Example }
  validity: [24h, soon, 10d]
  maxTotal: 5d
  groups: { "Bad Key": { groupId: g, name: n }, ok: { groupId: g, name: n, extra: 1 } }
`,
        'ta.yaml',
      );
    } catch (e) {
      error = e as PolicyError;
    }
    expect(error?.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^temporaryAccounts\.requesters\.any\.0: /),
        'temporaryAccounts.login.pattern: the pattern needs both {first} and {last}',
        expect.stringMatching(/^temporaryAccounts\.login\.domain: /),
        expect.stringMatching(/^temporaryAccounts\.validity\.1: "soon" is not a duration/),
        'temporaryAccounts.validity.2: a validity choice is longer than maxTotal',
        expect.stringMatching(/^temporaryAccounts\.groups\.Bad Key: /),
        expect.stringMatching(/^temporaryAccounts\.groups\.ok: /),
      ]),
    );
    expect(parsePolicy(base).temporaryAccounts).toBeUndefined();
  });
});
