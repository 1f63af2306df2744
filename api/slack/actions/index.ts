import type { App } from '@slack/bolt';
import type { SlackDeps } from '../deps';
import * as approve from './approve';
import * as deny from './deny';
import * as extend from './extend';
import * as revoke from './revoke';
import * as review from './review';
import * as temporaryAccount from './temporary-account';

export function register(app: App, deps: SlackDeps): void {
  for (const listener of [approve, deny, extend, revoke, temporaryAccount, review]) listener.register(app, deps);
}
