/** What the Slack listeners need: the same request service, policy and Okta port as the HTTP routes. */
import type { Logger } from 'pino';
import type { Policy } from '../../activities/policy/schema';
import type { OktaPort } from '../../activities/ports';
import type { RequestService } from '../access-requests';
import type { TemporaryAccountService } from '../temporary-accounts';
import type { RiskService } from '../risk';
import type { SlackIdentity } from './identity';

export interface SlackDeps {
  service: RequestService;
  /** Temporary accounts (`/access temp`, the manager's Extend and Close now); absent: those answer that the feature is off. */
  accounts?: TemporaryAccountService;
  /** Access reviews (Keep / Revoke); absent in tests that build Slack alone. */
  risk?: RiskService;
  policy: () => Policy;
  okta: OktaPort;
  identity: SlackIdentity;
  logger: Logger;
}
