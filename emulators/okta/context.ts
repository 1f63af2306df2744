import type { Request, Response } from 'express';
import type { PageLimits } from './pagination';
import type { OktaState } from './state';
import type { LogEvent, RecordInput } from './system-log';

/** What every Okta route module needs. */
export interface OktaContext {
  state: OktaState;
  baseUrl(req: Request): string;
  limits: { users: PageLimits; groups: PageLimits; groupUsers: PageLimits; appUsers: PageLimits };
  /** Records a System Log event for what this request did (the caller is the actor). */
  record(req: Request, res: Response, input: RecordInput): LogEvent;
}
