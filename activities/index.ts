/**
 * Every activity Gatehouse runs, built from its ports (createActivities(deps), as in the Temporal
 * samples). Workflows import the *type* only. Names are verbSystemObject and are wire contracts.
 * - resolveAccessRequest: the policy snapshot, when the starter did not resolve it;
 * - grant / revoke / read-back of Okta memberships with the ledger (activities/grants.ts);
 * - applyEffects: a transition's records, audit, Jira, Slack and mail (activities/effects.ts);
 * - temporary accounts: login, create with the credential mailed, close (activities/temporary-accounts.ts).
 * - risk response: quarantine, revocation for risk, app rollback, reviewers (activities/risk.ts).
 */
import type { AccessRequestInput, ResolveResult } from '../workflows/access-request/types';
import { createEffectsActivities, type EffectsDeps } from './effects';
import { createGrantActivities } from './grants';
import { createRiskActivities, type RiskWorkflowsPort } from './risk';
import { createStandingActivities } from './standing';
import { createTemporaryAccountActivities } from './temporary-accounts';
import type { Policy } from './policy/schema';
import { resolveRequest } from './policy/resolve';
import type { Ports } from './ports';

export { jiraLabelFor } from './effects';

export interface ActivityDeps extends Ports {
  /** The current policy (read at resolution time only). */
  policy: () => Policy;
  /** GATEHOUSE_SECURITY_CHANNEL (default #security-alerts). */
  securityChannel?: string;
  /** Told of every audit event written (worker metrics). */
  onAudit?: EffectsDeps['onAudit'];
  /** OKTA_ORG_URL: where temporary accounts sign in (named in their e-mails). */
  oktaSignInUrl?: string;
  /** Temporal itself, for risk response (signal-with-start, visibility, revoke signals). */
  workflows?: RiskWorkflowsPort;
}

export function createActivities(deps: ActivityDeps) {
  return {
    async resolveAccessRequest(input: AccessRequestInput): Promise<ResolveResult> {
      return resolveRequest(deps.policy(), deps.okta, input);
    },
    ...createGrantActivities({ okta: deps.okta, ledger: deps.audit, audit: deps.audit, onAudit: deps.onAudit, quarantineGroupId: () => deps.policy().risk?.quarantineGroupId }),
    ...createStandingActivities({ ledger: deps.audit }),
    ...createTemporaryAccountActivities({ okta: deps.okta, mail: deps.mail, signInUrl: deps.oktaSignInUrl }),
    ...createRiskActivities({ okta: deps.okta, ledger: deps.audit, workflows: deps.workflows, onAudit: deps.onAudit }),
    ...createEffectsActivities({
      audit: deps.audit,
      jira: deps.jira,
      slack: deps.slack,
      mail: deps.mail,
      securityChannel: deps.securityChannel ?? '#security-alerts',
      onAudit: deps.onAudit,
    }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
