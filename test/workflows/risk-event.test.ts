/**
 * The Okta event parser (workflows/risk/event.ts): Okta's `key=value` risk string whose reasons
 * hold commas, the legacy event type, JSON, and anything hostile — never a throw, never an
 * ill-formed or oversized string out.
 */
import fc from 'fast-check';
import { riskDebugString } from '../../emulators/okta/routes-risk';
import { orgUrlFromSource, parseOktaEvent, parseRiskData, splitReasons, type RiskEventInput } from '../../workflows/risk/event';

const user = { id: '00u_alice', type: 'User', alternateId: 'Alice@Example.com', displayName: 'Alice Archer' };
const riskEvent = (risk: unknown, over: Record<string, unknown> = {}) => ({
  uuid: 'f0e1d2c3-0000-4000-8000-000000000001',
  published: '2026-11-30T10:00:00.000Z',
  eventType: 'user.risk.detect',
  actor: { id: '0oa_okta_system', type: 'SystemPrincipal', alternateId: 'system@okta.com' },
  client: { ipAddress: '203.0.113.9' },
  target: [user],
  debugContext: { debugData: { risk } },
  ...over,
});

describe('parseRiskData', () => {
  it("reads Okta's key=value string, reasons with their commas", () => {
    const raw = riskDebugString({ previousLevel: 'LOW', level: 'HIGH', detectionName: 'Session Influenced User Risk', reasons: 'Anomalous Geo-Distance, New Device, New IP' });
    expect(parseRiskData(raw)).toEqual({ previousLevel: 'LOW', level: 'HIGH', detectionName: 'Session Influenced User Risk', reasons: 'Anomalous Geo-Distance, New Device, New IP', issuer: 'OKTA' });
  });

  it('accepts fields in any order, without braces, without previousLevel, and JSON', () => {
    expect(parseRiskData('reasons=A, B, level=MEDIUM')).toEqual({ reasons: 'A, B', level: 'MEDIUM' });
    expect(parseRiskData('{level=LOW}')).toEqual({ level: 'LOW' });
    expect(parseRiskData('{"level":"HIGH","reasons":["x","y"],"n":1}')).toEqual({ level: 'HIGH', reasons: 'x, y', n: '1' });
    // Not JSON after all: read as key=value, where `"level` is no key.
    expect(parseRiskData('{"level=HIGH, reasons=x}')).toEqual({ reasons: 'x' });
  });

  it('keeps the first of a repeated key and ignores what is not key=value', () => {
    expect(parseRiskData('{level=HIGH, level=LOW, nonsense, =x}')).toEqual({ level: 'HIGH' });
    expect(parseRiskData(undefined)).toEqual({});
    expect(parseRiskData(42)).toEqual({});
    expect(parseRiskData('')).toEqual({});
  });

  it('never throws and never yields an ill-formed string (fast-check)', () => {
    const lone = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
    const unit = fc.oneof(lone, fc.constantFrom('=', ',', ' ', '{', '}', '"', 'level', 'reasons', 'HIGH'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit, maxLength: 80 }), fc.anything()), (raw) => {
        const out = parseRiskData(raw);
        return Object.entries(out).every(([k, v]) => k.isWellFormed() && typeof v === 'string' && v.isWellFormed());
      }),
      { numRuns: 2000, seed: 1130 },
    );
  });

  it('round-trips what the emulator writes for any reasons without "key=" in them (fast-check)', () => {
    const word = fc.string({ unit: fc.constantFrom(...'abcdefgh XYZ-'.split('')), minLength: 1, maxLength: 12 }).filter((w) => w.trim().length > 0);
    fc.assert(
      fc.property(fc.constantFrom('LOW', 'MEDIUM', 'HIGH'), fc.constantFrom('LOW', 'MEDIUM', 'HIGH'), word, fc.array(word, { minLength: 1, maxLength: 6 }), (previousLevel, level, detectionName, reasons) => {
        const parsed = parseRiskData(riskDebugString({ previousLevel, level, detectionName, reasons: reasons.join(', ') }));
        expect(parsed.level).toBe(level);
        expect(parsed.previousLevel).toBe(previousLevel);
        expect(parsed.detectionName).toBe(detectionName.trim());
        expect(splitReasons(parsed.reasons)).toEqual(reasons.map((r) => r.trim()));
      }),
      { numRuns: 500, seed: 7 },
    );
  });
});

describe('parseOktaEvent', () => {
  it('turns user.risk.detect into a level event for the target user', () => {
    const raw = riskEvent(riskDebugString({ previousLevel: 'LOW', level: 'HIGH', detectionName: 'Entity risk', reasons: 'New Device, New IP' }));
    expect(parseOktaEvent(raw, 'https://acme.okta.com')).toEqual({
      ok: true,
      event: {
        uuid: raw.uuid,
        eventType: 'user.risk.detect',
        published: '2026-11-30T10:00:00.000Z',
        kind: 'level',
        userId: '00u_alice',
        login: 'alice@example.com',
        displayName: 'Alice Archer',
        level: 'HIGH',
        previousLevel: 'LOW',
        detectionName: 'Entity risk',
        reasons: ['New Device', 'New IP'],
        actor: 'system@okta.com',
        ip: '203.0.113.9',
        orgUrl: 'https://acme.okta.com',
      } satisfies RiskEventInput,
    });
  });

  it('reads the legacy user.risk.change, and a lower-case level', () => {
    const parsed = parseOktaEvent(riskEvent('{level=medium}', { eventType: 'user.risk.change' }));
    expect(parsed).toMatchObject({ ok: true, event: { eventType: 'user.risk.change', level: 'MEDIUM' } });
    expect(parsed.ok && parsed.event.previousLevel).toBeFalsy();
  });

  it('turns application.user_membership.add into an app assignment', () => {
    const raw = {
      uuid: 'aa11',
      published: '2026-11-30T10:00:01Z',
      eventType: 'application.user_membership.add',
      actor: { alternateId: 'admin@example.com' },
      target: [{ id: '0ua_x', type: 'AppUser', alternateId: 'alice' }, { id: '0oa_pam', type: 'AppInstance', alternateId: 'Privileged access manager', displayName: 'Privileged access manager' }, user],
    };
    expect(parseOktaEvent(raw)).toMatchObject({ ok: true, event: { kind: 'app_assignment', userId: '00u_alice', app: { id: '0oa_pam', name: 'Privileged access manager' }, actor: 'admin@example.com' } });
  });

  it('says why an event is not one Gatehouse acts on', () => {
    expect(parseOktaEvent({ eventType: 'user.session.start', uuid: 'x' })).toMatchObject({ ok: false, reason: 'unhandled_type', eventType: 'user.session.start' });
    expect(parseOktaEvent('nope')).toMatchObject({ ok: false, reason: 'malformed' });
    expect(parseOktaEvent(riskEvent('{reasons=x}'))).toMatchObject({ ok: false, reason: 'malformed', message: expect.stringContaining('no level') });
    expect(parseOktaEvent(riskEvent('{level=HIGH}', { uuid: '../../x' }))).toMatchObject({ ok: false, reason: 'malformed', message: expect.stringContaining('uuid') });
    expect(parseOktaEvent(riskEvent('{level=HIGH}', { published: 'yesterday' }))).toMatchObject({ ok: false, reason: 'malformed', message: expect.stringContaining('published') });
    expect(parseOktaEvent(riskEvent('{level=HIGH}', { target: [{ ...user, alternateId: 'a"b@example.com' }] }))).toMatchObject({ ok: false, reason: 'malformed' });
    expect(parseOktaEvent(riskEvent('{level=HIGH}', { target: [{ type: 'AppInstance', id: '0oa_x', alternateId: 'x' }] }))).toMatchObject({ ok: false, reason: 'malformed' });
    expect(parseOktaEvent({ ...riskEvent('x'), eventType: 'application.user_membership.add' })).toMatchObject({ ok: false, message: 'no AppInstance target' });
  });

  it('never throws, and whatever it accepts is well-formed and bounded (fast-check)', () => {
    const lone = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
    const nasty = fc.oneof(fc.string({ unit: fc.oneof(lone, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength: 40 }), fc.constantFrom('HIGH', '{level=HIGH, reasons=a, b}', '00u_alice', 'User', 'AppInstance'), fc.string({ maxLength: 2000 }));
    const target = fc.record({ id: nasty, type: fc.oneof(fc.constantFrom('User', 'AppInstance'), nasty), alternateId: nasty, displayName: nasty }, { requiredKeys: [] });
    const event = fc.record(
      {
        uuid: fc.oneof(fc.uuid(), nasty),
        published: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), nasty),
        eventType: fc.oneof(fc.constantFrom('user.risk.detect', 'user.risk.change', 'application.user_membership.add'), nasty),
        target: fc.oneof(fc.array(target, { maxLength: 4 }), fc.anything()),
        debugContext: fc.oneof(fc.record({ debugData: fc.record({ risk: fc.oneof(nasty, fc.anything()) }) }), fc.anything()),
        actor: fc.anything(),
        client: fc.anything(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(event, fc.anything()), (raw) => {
        const parsed = parseOktaEvent(raw);
        if (!parsed.ok) return parsed.eventType.isWellFormed();
        const strings = JSON.stringify(parsed.event);
        return strings.length < 10_000 && JSON.parse(strings) !== null && Object.values(parsed.event).every((v) => typeof v !== 'string' || (v.isWellFormed() && v.length <= 300));
      }),
      { numRuns: 3000, seed: 42 },
    );
  });
});

describe('orgUrlFromSource', () => {
  it("takes the org from the delivery's source", () => {
    expect(orgUrlFromSource('https://acme.okta.com/api/v1/eventHooks/who123')).toBe('https://acme.okta.com');
    expect(orgUrlFromSource('javascript:alert(1)')).toBeUndefined();
    expect(orgUrlFromSource(7)).toBeUndefined();
  });
});
