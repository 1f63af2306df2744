/**
 * The self-service portal (SPEC §13): server-rendered pages on the API process, signed in with
 * Okta. Requesters file, follow, extend and hand back access; approvers approve or deny. Every
 * action goes through the same request service and workflow validators as HTTP and Slack, as the
 * signed-in person, `via: 'portal'`.
 *
 * Paths: `/` (home), `/auth/login|callback|logout`, `/requests/new`, `/requests`, `/requests/:id`,
 * `/approvals`, `/temporary-accounts` (`/new`, `/:id`; managers), `/security` (reviewers),
 * `/assets/*`. Who sees the last two is ./roles.ts.
 */
import express, { Router, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Policy } from '../../activities/policy/schema';
import type { OktaPort } from '../../activities/ports';
import type { RequestService } from '../access-requests';
import { HttpError } from '../errors';
import { refuseBadText } from '../input-guard';
import type { People } from '../people';
import type { RiskService } from '../risk';
import type { AuditReader } from '../routes/audit';
import type { TemporaryAccountService } from '../temporary-accounts';
import type { ViewLinks } from '../views';
import { accountsRouter } from './accounts-routes';
import { approvalsRouter, createPendingFeed } from './approvals-routes';
import { ASSETS } from './assets';
import { authRouter } from './auth-routes';
import type { PortalContext } from './context';
import { loadPerson, personOf } from './guard';
import { html } from './html';
import { NAV, page } from './layout';
import { createOidc } from './oidc';
import { portalErrors } from './refusals';
import { requestsRouter } from './requests-routes';
import { createRoles } from './roles';
import { securityRouter } from './security-routes';
import { createCookieJar } from './session';

/** What turns the portal on (from the API's settings: ./from-settings.ts). */
export interface PortalOptions {
  /** GATEHOUSE_PUBLIC_URL: where browsers reach the API. The OIDC redirect URI is `<publicUrl>/auth/callback`. */
  publicUrl: string;
  /** GATEHOUSE_SESSION_SECRET: signs the session cookies (32+ characters). */
  sessionSecret: string;
  /** OKTA_OIDC_ISSUER, OKTA_OIDC_CLIENT_ID, OKTA_OIDC_CLIENT_SECRET. */
  issuer: string;
  clientId: string;
  clientSecret: string;
}

export interface PortalDeps {
  service: RequestService;
  accounts?: TemporaryAccountService;
  risk?: RiskService;
  people: People;
  policy: () => Policy;
  okta: OktaPort;
  audit?: AuditReader;
  links: ViewLinks;
  logger: Logger;
}

/**
 * Pages are private (no-store), never framed, and run only our own script; forms may post only
 * here, and the sign-out form's redirect may go on to Okta's end-session endpoint.
 */
function securityHeaders(issuerOrigin: string): RequestHandler {
  const csp = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    `form-action 'self' ${issuerOrigin}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
  return (_req, res, next) => {
    res.set({
      'Content-Security-Policy': csp,
      'X-Frame-Options': 'DENY',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    });
    next();
  };
}

/** The paths the portal answers (everything else falls through to the API's JSON 404). */
const PORTAL_PATH = /^\/(?:$|auth\/|requests(?:\/|$)|approvals(?:\/|$)|temporary-accounts(?:\/|$)|security(?:\/|$))/;

export function portalRouter(options: PortalOptions, deps: PortalDeps): Router {
  const publicUrl = options.publicUrl.replace(/\/+$/, '');
  const secure = new URL(publicUrl).protocol === 'https:';
  const ctx: PortalContext = {
    ...deps,
    oidc: createOidc({
      issuer: options.issuer,
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      redirectUri: `${publicUrl}/auth/callback`,
      postLogoutRedirectUri: `${publicUrl}/`,
    }),
    cookies: createCookieJar(options.sessionSecret, { secure }),
    publicUrl,
    publicOrigin: new URL(publicUrl).origin,
  };
  const feed = createPendingFeed(ctx);

  const router = Router();
  for (const asset of Object.values(ASSETS)) {
    router.get(asset.path, (_req, res) => {
      res.set({ 'Content-Type': asset.type, 'Cache-Control': 'public, max-age=31536000, immutable', 'X-Content-Type-Options': 'nosniff' }).send(asset.body);
    });
  }

  // Only the portal's own paths get its headers, its session and its form parser.
  const pages = Router();
  pages.use(securityHeaders(new URL(options.issuer).origin));
  pages.use(express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 }));
  pages.use(refuseBadText);
  pages.use(loadPerson(ctx.cookies, ctx.people, createRoles(ctx.policy, ctx.okta)));
  pages.get('/', (_req, res) => {
    const person = personOf(res);
    const body = person
      ? html`<p>Signed in as <strong>${person.login}</strong>.</p>
<ul class="list">${NAV.filter((item) => item.show?.(person) ?? true).map((item) => html`<li class="card"><a href="${item.href}">${item.label}</a></li>`)}</ul>`
      : html`<p>Ask for just-in-time access to sensitive systems, follow your requests, and approve the ones that wait for you. Sign in with your Okta account.</p>
<p><a class="button primary" href="/auth/login">Sign in</a></p>`;
    res.send(page({ title: person ? `Hello, ${person.name || person.login}` : 'Gatehouse', person }, body));
  });
  pages.use(authRouter(ctx));
  pages.use(requestsRouter(ctx, () => feed.invalidate()));
  pages.use(approvalsRouter(ctx, feed));
  pages.use(accountsRouter(ctx));
  pages.use(securityRouter(ctx));
  pages.use((req, _res, next) => next(new HttpError(404, 'not_found', `There is no page at ${req.path}.`)));
  pages.use(portalErrors(deps.logger));
  router.use((req, res, next) => (PORTAL_PATH.test(req.path) ? pages(req, res, next) : next()));
  return router;
}
