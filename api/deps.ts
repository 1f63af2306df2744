/**
 * The API process's outside-world dependencies, built from settings. Kept apart from main.ts so
 * the choice of adapter (real Okta or emulator, or the in-process fake) lives in one place.
 */
import { oktaFromSettings } from '../activities/adapters/from-settings';
import type { OktaPort } from '../activities/ports';
import type { Settings } from '../activities/settings';
import { loadFakes } from '../workers/ports';

/**
 * The Okta port the API uses for its pre-checks (user, eligibility, risk gate, approvers): the
 * real adapter when OKTA_ORG_URL is set (Okta or the Okta emulator), the seeded in-memory fake
 * with GATEHOUSE_FAKES=1 (development only), otherwise a start-up error.
 */
export function buildOktaPort(settings: Settings): OktaPort {
  const okta = oktaFromSettings(settings);
  if (okta) return okta;
  if (settings.GATEHOUSE_FAKES) return loadFakes().createFakePorts().okta;
  throw new Error('OKTA_ORG_URL is not set: point it at Okta (or the Okta emulator), or set GATEHOUSE_FAKES=1 in development');
}
