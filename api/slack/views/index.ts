import type { App } from '@slack/bolt';
import type { SlackDeps } from '../deps';
import * as access from './access';
import * as denyReason from './deny-reason';
import * as extend from './extend';
import * as temporaryAccount from './temporary-account';

export function register(app: App, deps: SlackDeps): void {
  for (const listener of [access, denyReason, extend, temporaryAccount]) listener.register(app, deps);
}
