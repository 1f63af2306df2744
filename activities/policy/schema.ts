import { z } from 'zod';
import { parseDuration } from './duration';

/** A positive duration string, turned into milliseconds at parse time. */
export const durationSchema = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === null || ms === 0) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration (use 90s, 15m, 2h, 1d or ISO 8601 like PT2H)` });
    return z.NEVER;
  }
  return ms;
});

/** A duration where zero means "off" (expiryWarning: 0s). */
const durationOrZeroSchema = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration (use 0s to turn it off, 15m, 2h…)` });
    return z.NEVER;
  }
  return ms;
});

const regexSchema = z.string().refine(
  (p) => {
    try {
      new RegExp(p);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not a valid regular expression' },
);

const ruleSchema = z
  .object({
    attribute: z.string().min(1),
    equals: z.union([z.string(), z.number(), z.boolean()]).optional(),
    in: z.array(z.union([z.string(), z.number()])).min(1).optional(),
    matches: regexSchema.optional(),
  })
  .strict()
  .refine((r) => [r.equals, r.in, r.matches].filter((v) => v !== undefined).length === 1, {
    message: 'a rule needs exactly one of equals, in, matches',
  });
export type EligibilityRule = z.infer<typeof ruleSchema>;

const eligibilitySchema = z.union([
  z.object({ any: z.array(ruleSchema).min(1) }).strict(),
  z.object({ all: z.array(ruleSchema).min(1) }).strict(),
]);
export type Eligibility = z.infer<typeof eligibilitySchema>;

const approverSetSchema = z.union(
  [
    z.literal('manager'),
    z.literal('owners'),
    z.object({ oktaGroup: z.string().min(1) }).strict(),
    z.object({ users: z.array(z.string().min(1)).min(1) }).strict(),
  ],
  { error: 'approvers must be manager, owners, { oktaGroup: <group id> } or { users: [logins] }' },
);
export type ApproverSet = z.infer<typeof approverSetSchema>;

const stepSchema = z
  .object({ approvers: approverSetSchema, count: z.number().int().min(1).default(1), name: z.string().optional() })
  .strict();

// One object (not a union) so a mistake inside a step is reported at its own path.
const approvalSchema = z
  .object({ auto: z.literal(true).optional(), steps: z.array(stepSchema).min(1).optional() })
  .strict()
  .refine((a) => (a.auto === true) !== (a.steps !== undefined), { message: 'approval needs either auto: true or steps (not both)' })
  .transform((a): { auto: true } | { steps: z.output<typeof stepSchema>[] } => (a.auto ? { auto: true } : { steps: a.steps! }));

const timingSchema = {
  approvalTimeout: durationSchema.optional(),
  reminderAfter: durationSchema.optional(),
  expiryWarning: durationOrZeroSchema.optional(),
};

const resourceSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    okta: z.object({ groupId: z.string().min(1) }).strict(),
    owners: z.array(z.string().min(1)).default([]),
    duration: z
      .object({ default: durationSchema, max: durationSchema, min: durationSchema.optional() })
      .strict()
      .refine((d) => d.default <= d.max, { message: 'duration.default must not exceed duration.max' })
      .refine((d) => d.min === undefined || d.min <= d.default, { message: 'duration.min must not exceed duration.default' }),
    extensions: z.object({ max: z.number().int().min(0), maxTotal: durationSchema }).strict().optional(),
    justification: z.object({ required: z.boolean().default(false), pattern: regexSchema.optional() }).strict().optional(),
    eligibility: eligibilitySchema.optional(),
    approval: approvalSchema,
    riskGate: z.object({ denyIfInGroup: z.string().min(1) }).strict().optional(),
    slackChannel: z.string().min(1).optional(),
    reconcile: z.enum(['report', 'remove']).default('report'),
    ...timingSchema,
  })
  .strict()
  .superRefine((r, ctx) => {
    if ('steps' in r.approval && r.approval.steps.some((s) => s.approvers === 'owners') && r.owners.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['owners'], message: 'an approval step uses owners, but the resource lists none' });
    }
    if (r.extensions && r.extensions.maxTotal < r.duration.default) {
      ctx.addIssue({ code: 'custom', path: ['extensions', 'maxTotal'], message: 'extensions.maxTotal is shorter than duration.default' });
    }
  });
export type ResourcePolicy = z.infer<typeof resourceSchema>;

/** Resource keys are URL path segments and Okta-group-like names. */
export function resourceKeyProblem(key: string): string | null {
  return /^[a-z0-9][a-z0-9-_]*$/.test(key) ? null : 'resource keys are lowercase letters, digits, - and _';
}

/**
 * `temporaryAccounts:` (SPEC §11). Absent: the feature is off. Validity choices and maxTotal are
 * durations; the login pattern must use {first} and {last}; requesters reuse the eligibility rules.
 */
const temporaryAccountsSchema = z
  .object({
    requesters: eligibilitySchema,
    login: z
      .object({
        pattern: z
          .string()
          .refine((p) => p.includes('{first}') && p.includes('{last}'), { message: 'the pattern needs both {first} and {last}' })
          .refine((p) => /^[a-z0-9._{}-]+$/.test(p.replace(/\{(first|last)\}/g, '')), { message: 'outside {first} and {last}, a pattern holds only a-z, 0-9, ".", "_" and "-"' }),
        domain: z.string().regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'a domain like example.org (lower case)'),
      })
      .strict(),
    validity: z.array(durationSchema).min(1),
    maxTotal: durationSchema,
    expiryWarning: durationOrZeroSchema.default(7_200_000),
    groups: z
      .record(z.string().regex(/^[a-z0-9][a-z0-9-_]*$/, 'group keys are lowercase letters, digits, - and _'), z.object({ groupId: z.string().min(1), name: z.string().min(1) }).strict())
      .default({}),
  })
  .strict()
  .superRefine(
    (t, ctx) => {
      // Runs beside other problems (every problem listed): only the values that parsed are compared.
      if (typeof t.maxTotal !== 'number' || !Array.isArray(t.validity)) return;
      for (const [i, ms] of t.validity.entries()) {
        if (typeof ms === 'number' && ms > t.maxTotal) ctx.addIssue({ code: 'custom', path: ['validity', i], message: 'a validity choice is longer than maxTotal' });
      }
    },
    { when: () => true },
  );
export type TemporaryAccountsPolicy = z.infer<typeof temporaryAccountsSchema>;
const oktaIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'an Okta id (00g…, 0oa…)');

const highRiskAppSchema = z
  .object({
    name: z.string().min(1),
    onHigh: z.enum(['rollback', 'review'], { error: 'onHigh must be rollback or review' }),
    reviewTimeout: durationSchema.optional(),
    onTimeout: z.enum(['keep', 'revoke'], { error: 'onTimeout must be keep or revoke' }).optional(),
  })
  .strict()
  .superRefine((app, ctx) => {
    if (app.onHigh === 'rollback' && (app.reviewTimeout !== undefined || app.onTimeout !== undefined)) {
      ctx.addIssue({ code: 'custom', message: 'reviewTimeout and onTimeout apply to onHigh: review only' });
    }
  })
  .transform((app) => ({ name: app.name, onHigh: app.onHigh, reviewTimeout: app.reviewTimeout ?? 72 * 3_600_000, onTimeout: app.onTimeout ?? ('revoke' as const) }));

/** Risk response (SPEC §12): what a user's Okta risk level and high-risk app assignments lead to. */
const riskSchema = z
  .object({
    quarantineGroupId: oktaIdSchema,
    mediumGroupId: oktaIdSchema.optional(),
    securityChannel: z.string().trim().min(1),
    incident: z.object({ projectKey: z.string().regex(/^[A-Z][A-Z0-9]+$/, 'a Jira project key like SEC'), issueType: z.string().trim().min(1).default('Incident') }).strict(),
    reviewersGroupId: oktaIdSchema.optional(),
    highRiskApps: z.record(z.string(), highRiskAppSchema).default({}),
  })
  .strict()
  .superRefine((risk, ctx) => {
    if (risk.mediumGroupId && risk.mediumGroupId === risk.quarantineGroupId) {
      ctx.addIssue({ code: 'custom', path: ['mediumGroupId'], message: 'the medium-risk group must not be the quarantine group' });
    }
    for (const appId of Object.keys(risk.highRiskApps)) {
      if (oktaIdSchema.safeParse(appId).error) ctx.addIssue({ code: 'custom', path: ['highRiskApps', appId], message: 'app keys are Okta app ids (0oa…)' });
    }
  });
export type RiskPolicy = z.infer<typeof riskSchema>;

export const policySchema = z
  .object({
    defaults: z
      .object({
        approvalTimeout: durationSchema.default(86_400_000),
        reminderAfter: durationSchema.default(1_800_000),
        expiryWarning: durationOrZeroSchema.default(600_000),
      })
      .strict()
      .default({ approvalTimeout: 86_400_000, reminderAfter: 1_800_000, expiryWarning: 600_000 }),
    resources: z
      .record(z.string(), resourceSchema)
      .superRefine((resources, ctx) => {
        for (const key of Object.keys(resources)) {
          const problem = resourceKeyProblem(key);
          if (problem) ctx.addIssue({ code: 'custom', path: [key], message: problem });
        }
        if (Object.keys(resources).length === 0) ctx.addIssue({ code: 'custom', message: 'the policy defines no resource' });
      }),
    temporaryAccounts: temporaryAccountsSchema.optional(),
    /** Absent: Okta risk events are acknowledged and ignored. */
    risk: riskSchema.optional(),
  })
  .strict();
export type Policy = z.infer<typeof policySchema>;
