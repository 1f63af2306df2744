import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePolicy } from '../../activities/policy/load';

/** A policy with second-scale timings, so every rule can be exercised in real time. */
export const TEST_POLICY_YAML = `
defaults: { approvalTimeout: 1h, reminderAfter: 30m, expiryWarning: 1s }
resources:
  prod-db-admin:
    name: Production database admin
    okta: { groupId: 00g_prod_db_admin }
    owners: [carol@example.com]
    duration: { default: 3s, max: 4s, min: 1s }
    extensions: { max: 1, maxTotal: 6s }
    justification: { required: true, pattern: "^[A-Z]+-[0-9]+" }
    eligibility: { any: [ { attribute: department, in: [Engineering, SRE] } ] }
    approval:
      steps:
        - { approvers: manager, count: 1 }
        - { approvers: owners, count: 1 }
    riskGate: { denyIfInGroup: 00g_high_risk }
    slackChannel: "#access-approvals"
  aws-readonly:
    name: AWS read-only
    okta: { groupId: 00g_aws_ro }
    duration: { default: 2s, max: 1h }
    extensions: { max: 3, maxTotal: 2h }
    approval: { auto: true }
  long-readonly:
    name: AWS read-only, long
    okta: { groupId: 00g_aws_ro }
    duration: { default: 1h, max: 2h }
    expiryWarning: 0s
    approval: { auto: true }
  one-step:
    name: One approval, no warning
    okta: { groupId: 00g_aws_ro }
    duration: { default: 2s, max: 1h }
    expiryWarning: 0s
    approval:
      steps:
        - { approvers: { users: [bob@example.com] }, count: 1 }
  two-of-three:
    name: Needs two of three
    okta: { groupId: 00g_aws_ro }
    duration: { default: 1h, max: 2h }
    approval:
      steps:
        - { approvers: { users: [bob@example.com, carol@example.com, frank@example.com] }, count: 2 }
  hurry:
    name: Short approval window
    okta: { groupId: 00g_aws_ro }
    duration: { default: 1h, max: 2h }
    approvalTimeout: 2500ms
    reminderAfter: 400ms
    approval:
      steps:
        - { approvers: { oktaGroup: 00g_security }, count: 1 }
temporaryAccounts:
  requesters: { any: [ { attribute: title, matches: "\\\\b([Mm]anager|[Dd]irector)\\\\b" } ] }
  login: { pattern: "{first}.{last}.tmp", domain: example.org }
  validity: [4s, 24h, 48h]
  maxTotal: 5d
  expiryWarning: 2s
  groups:
    paris-shared-inbox: { groupId: 00g_paris_inbox, name: Paris shared inbox (delegation) }
    field-calendar: { groupId: 00g_field_calendar, name: Field operations calendar }
`;

export const testPolicy = () => parsePolicy(TEST_POLICY_YAML, 'test-policy.yaml');

/** Writes the test policy to a file, for worker and API processes. */
export function writeTestPolicy(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'policy.yaml');
  writeFileSync(file, TEST_POLICY_YAML);
  return file;
}
