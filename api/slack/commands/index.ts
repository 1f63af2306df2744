import type { App } from '@slack/bolt';
import type { SlackDeps } from '../deps';
import * as access from './access';

export function register(app: App, deps: SlackDeps): void {
  access.register(app, deps);
}
