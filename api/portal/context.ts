/** What the portal's routes share: the services, the people, the policy, the cookies and the sign-in. */
import type { Logger } from 'pino';
import type { Policy } from '../../activities/policy/schema';
import type { OktaPort } from '../../activities/ports';
import type { RequestService } from '../access-requests';
import type { People } from '../people';
import type { RiskService } from '../risk';
import type { AuditReader } from '../routes/audit';
import type { TemporaryAccountService } from '../temporary-accounts';
import type { ViewLinks } from '../views';
import type { Oidc } from './oidc';
import type { CookieJar } from './session';

export interface PortalContext {
  service: RequestService;
  /** The Temporary accounts page's service (the same as /v1/temporary-accounts and Slack). */
  accounts?: TemporaryAccountService;
  /** The Security page's service (the same as /v1/risk, /v1/reviews and Slack). */
  risk?: RiskService;
  people: People;
  policy: () => Policy;
  /** For eligibility and resolution, as POST /v1/requests does. */
  okta: OktaPort;
  audit?: AuditReader;
  links: ViewLinks;
  logger: Logger;
  oidc: Oidc;
  cookies: CookieJar;
  /** GATEHOUSE_PUBLIC_URL, without a trailing slash. */
  publicUrl: string;
  /** Its origin, which every POST's Origin header must name. */
  publicOrigin: string;
}
