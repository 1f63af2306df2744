/**
 * The portal end to end, for browser tests: the Okta (also the OpenID provider), Slack, Jira and
 * SMTP emulators on free ports; a worker PROCESS (workers/main.ts over the real adapters, writing
 * the audit trail to a SQLite file); and the API (createApp with the portal, the Okta event hook,
 * the real Okta adapter and that audit store, read-only) listening on a free port, which is its
 * GATEHOUSE_PUBLIC_URL. The Okta emulator's event hook is registered as `npm run okta:event-hook`
 * does, so a risk raised in the emulator reaches the API. Chromium is Debian's, driven by
 * playwright-core.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { pino } from 'pino';
import request from 'supertest';
import { oktaFromSettings } from '../../activities/adapters/from-settings';
import { openAuditStore, type AuditStore } from '../../activities/audit/store';
import type { OktaPort } from '../../activities/ports';
import { loadSettings } from '../../activities/settings';
import { createApp } from '../../api/app';
import { createOktaClient } from '../../activities/adapters/okta';
import { setupOktaSchema } from '../../scripts/okta-setup';
import { registerEventHook } from '../../scripts/okta-event-hook';
import { accessRequestWorkflowId } from '../../workflows/constants';
import { startTestEmulators, type RunningEmulators } from '../helpers/emulators';
import { processEnv, startProcess, type ChildHandle } from '../helpers/processes';
import { demoPolicy, uniqueQueue } from '../helpers/temporal';
import { apiToken } from '../helpers/tokens';
import { waitFor } from '../helpers/wait';

export const CHROMIUM = '/usr/bin/chromium';
/** The flags this machine needs (no sandbox as root, no network beyond loopback); Playwright adds --headless and a fresh profile. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'];
export const SCREENSHOTS = join(__dirname, '..', '..', 'docs', 'screenshots');
const TOKEN = 'portal-test-token-0123456789';
const HOOK_SECRET = 'portal-test-hook-secret-0123456789';

export type View = Record<string, unknown> & { id: string; status: string; approvals: { approver: string; decision: string; via: string }[] };

export interface PortalStack {
  url: string;
  browser: Browser;
  okta: OktaPort;
  emulators: RunningEmulators;
  /** The stack's Temporal client and its worker's task queue. */
  temporal: Client;
  taskQueue: string;
  /** A fresh browser context (its own cookies) signed in as `login` through the Okta sign-in page. */
  signIn(login: string, opts?: { screenshots?: boolean }): Promise<{ context: BrowserContext; page: Page }>;
  /** The HTTP API with an all-scopes token, to set up and check what the browser cannot see. */
  api: { get(path: string): request.Test; post(path: string, body?: unknown): request.Test };
  view(id: string): Promise<View>;
  /** Script errors and console errors of the portal's pages (a CSP violation shows here). */
  pageErrors: string[];
  /** Remembers a request id so close() ends it if a test left it open. */
  track(id: string): string;
  screenshot(page: Page, name: string, opts?: { fullPage?: boolean; height?: number }): Promise<void>;
  close(): Promise<void>;
}

export async function startPortalStack(): Promise<PortalStack> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium); .ci/run does`);
  // What has been started, stopped in reverse order by close() — or at once if starting fails.
  const stops: (() => Promise<unknown>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  };
  try {
    return await start(stops);
  } catch (err) {
    await stopAll();
    throw err;
  }

  async function start(stops: (() => Promise<unknown>)[]): Promise<PortalStack> {
    const emulators = await startTestEmulators({ okta: 0, slack: 0, jira: 0, smtp: 0 });
    stops.push(() => emulators.close());
    // As dev mode does: the temporary accounts' profile attributes (Okta refuses them otherwise).
    const oktaClient = createOktaClient({ orgUrl: emulators.okta.url, token: 'test-okta-token' });
    await setupOktaSchema(oktaClient);
    const taskQueue = uniqueQueue('portal');
    const env = processEnv(emulators, { GATEHOUSE_TASK_QUEUE: taskQueue, SMTP_URL: emulators.smtp.smtpUrl });
    const worker: ChildHandle = startProcess('workers/main.ts', env);
    stops.push(() => worker.kill('SIGTERM'));
    const settings = loadSettings(env);
    const okta = oktaFromSettings(settings)!;
    const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
    stops.push(() => connection.close());
    const temporal = new Client({ connection });
    const audit: AuditStore = openAuditStore(settings, { readOnly: true });
    stops.push(() => audit.close());
    const policy = demoPolicy();

    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    stops.push(() => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      return closed;
    });
    const address = server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const { clientId, clientSecret } = emulators.okta.emulator.oidc.devClient;
    const app = createApp({
      temporal,
      taskQueue,
      policy: () => policy,
      okta,
      tokens: apiToken(TOKEN, 'portal-tests'),
      webUiUrl: 'http://127.0.0.1:8233',
      namespace: 'default',
      logger: pino({ level: 'silent' }),
      audit,
      oktaHookSecret: HOOK_SECRET,
      portal: { publicUrl: url, sessionSecret: 'portal-test-session-secret-0123456789', issuer: `${emulators.okta.url}/oauth2/default`, clientId, clientSecret: clientSecret! },
    });
    server.on('request', app);
    await registerEventHook(oktaClient, { url: `${url}/hooks/okta`, name: 'Gatehouse', secret: HOOK_SECRET });
    await worker.waitForLine(/worker started/);

    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    stops.push(() => browser.close());
    const tracked = new Set<string>();
    const pageErrors: string[] = [];
    const api = {
      get: (path: string) => request(app).get(path).set('Authorization', `Bearer ${TOKEN}`),
      post: (path: string, body?: unknown) => request(app).post(path).set('Authorization', `Bearer ${TOKEN}`).send(body as object),
    };
    mkdirSync(SCREENSHOTS, { recursive: true });
    const screenshot = async (page: Page, name: string, opts: { fullPage?: boolean; height?: number } = {}) => {
      const clip = opts.height ? { x: 0, y: 0, width: page.viewportSize()?.width ?? 1000, height: opts.height } : undefined;
      await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: opts.fullPage ?? false, ...(clip ? { clip } : {}), animations: 'disabled', caret: 'hide' });
    };
    /** What a failed test left open: cancelled (the workflow revokes what it granted), else terminated. */
    const endTracked = async () => {
      const client = new Client({ connection });
      for (const id of tracked) {
        const handle = client.workflow.getHandle(accessRequestWorkflowId(id));
        try {
          if ((await handle.describe()).status.name !== 'RUNNING') continue;
          await handle.cancel();
          await waitFor(async () => (await handle.describe()).status.name !== 'RUNNING', `request ${id} to end`, 15_000, 100);
        } catch {
          await handle.terminate('portal test cleanup').catch(() => undefined);
        }
      }
    };
    /** Whatever still runs on this stack's queue (a risk serializer, an account a test left open). */
    const endRunning = async () => {
      for await (const wf of temporal.workflow.list({ query: `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"` })) {
        await temporal.workflow.getHandle(wf.workflowId).terminate('portal test cleanup').catch(() => undefined);
      }
    };
    stops.push(endRunning);
    stops.push(endTracked); // runs first: the worker is still there to revoke

    return {
      url,
      browser,
      okta,
      emulators,
      temporal,
      taskQueue,
      api,
      pageErrors,
      async signIn(login, opts = {}) {
        const context = await browser.newContext({ viewport: { width: 1000, height: 720 } });
        const page = await context.newPage();
        page.on('pageerror', (err) => pageErrors.push(`${login}: ${err.message}`));
        page.on('console', (message) => {
          // A page answered with 4xx on purpose (a refused form) logs "Failed to load resource": not an error of the page.
          if (message.type() === 'error' && message.location().url.startsWith(url) && !message.text().startsWith('Failed to load resource')) pageErrors.push(`${login}: ${message.text()}`);
        });
        await page.goto(`${url}/`);
        if (opts.screenshots) await screenshot(page, 'home', { height: 260 });
        await page.getByRole('link', { name: 'Sign in' }).click();
        // The Okta emulator's sign-in page: choose the person, press "Sign in".
        await page.getByLabel('Person').selectOption(login);
        if (opts.screenshots) await screenshot(page, 'sign-in', { height: 200 });
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByRole('button', { name: 'Sign out' }).waitFor();
        return { context, page };
      },
      async view(id) {
        const res = await api.get(`/v1/requests/${id}`);
        if (res.status !== 200) throw new Error(`GET /v1/requests/${id} answered ${res.status}: ${JSON.stringify(res.body)}`);
        return res.body as View;
      },
      track(id) {
        tracked.add(id);
        return id;
      },
      screenshot,
      close: stopAll,
    };
  }
}
