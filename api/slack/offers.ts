/** The resources a person may ask for: eligibility (SPEC §5) on their directory profile, as GET /v1/resources?requester= filters. */
import { isEligible } from '../../activities/policy/resolve';
import type { SlackDeps } from './deps';
import type { Offer } from './modals';

export async function eligibleOffers(deps: Pick<SlackDeps, 'okta' | 'policy'>, login: string): Promise<Offer[]> {
  const user = await deps.okta.getUser(login);
  if (!user || user.status !== 'ACTIVE') return [];
  return Object.entries(deps.policy().resources)
    .filter(([, resource]) => isEligible(resource.eligibility, user.profile))
    .map(([key, resource]) => ({ key, resource }));
}
