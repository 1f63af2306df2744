import type { App } from '@slack/bolt';
import type { SlackDeps } from '../deps';
import * as access from './access';
import * as denyReason from './deny-reason';
import * as extend from './extend';

export function register(app: App, deps: SlackDeps): void {
  for (const listener of [access, denyReason, extend]) listener.register(app, deps);
}
