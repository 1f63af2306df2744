import type { Request } from 'express';
import type { PageLimits } from './pagination';
import type { OktaState } from './state';

/** What every Okta route module needs. */
export interface OktaContext {
  state: OktaState;
  baseUrl(req: Request): string;
  limits: { users: PageLimits; groups: PageLimits; groupUsers: PageLimits; appUsers: PageLimits };
}
