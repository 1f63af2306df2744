/** What the portal's routes share: the request service, the people, the policy, the cookies and the sign-in. */
import type { Logger } from 'pino';
import type { Policy } from '../../activities/policy/schema';
import type { OktaPort } from '../../activities/ports';
import type { RequestService } from '../access-requests';
import type { People } from '../people';
import type { AuditReader } from '../routes/audit';
import type { ViewLinks } from '../views';
import type { Oidc } from './oidc';
import type { CookieJar } from './session';

export interface PortalContext {
  service: RequestService;
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
