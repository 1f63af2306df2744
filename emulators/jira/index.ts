import express, { type ErrorRequestHandler, type Express, type RequestHandler, type Response } from 'express';
import { createControlRouter } from '../shared/control';
import type { Directory } from '../shared/directory';
import { FaultInjector } from '../shared/faults';
import { escapeHtml, htmlPage } from '../shared/html';
import { baseUrlOf, RequestCounts, requestLogger, type LoggedRequest } from '../shared/http';
import { adfToText } from './adf';
import { jiraRouter } from './routes';
import { JiraState, STATUSES } from './state';
import { jiraUserFor, sendJiraError } from './wire';

export interface JiraEmulatorOptions {
  directory?: Directory;
  /** When set, Basic auth must carry exactly these; otherwise any non-empty e-mail and token pass. */
  credentials?: { email: string; apiToken: string };
  publicUrl?: string;
}

export interface JiraEmulator {
  app: Express;
  state: JiraState;
  faults: FaultInjector;
  requests: LoggedRequest[];
  reset(): void;
  seed(directory: Directory): void;
}

function requireJiraAuth(credentials: JiraEmulatorOptions['credentials']): RequestHandler {
  return (req, res, next) => {
    const [scheme, value = ''] = (req.get('authorization') ?? '').split(/\s+/, 2);
    let email: string | undefined;
    if (scheme === 'Basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const [user, token] = colon > 0 ? [decoded.slice(0, colon), decoded.slice(colon + 1)] : ['', ''];
      const accepted = credentials ? user === credentials.email && token === credentials.apiToken : !!user && !!token;
      if (accepted) email = user;
    } else if (scheme === 'Bearer' && value && !credentials) {
      email = 'oauth-app@example.com';
    }
    if (!email) return sendJiraError(res, 401, ['You are not authenticated. Authentication required to perform this operation.']);
    res.locals.jiraUser = jiraUserFor(email);
    next();
  };
}

function rateLimited(res: Response, retryAfterSec: number): void {
  res.setHeader('Retry-After', String(Math.max(0, Math.ceil(retryAfterSec))));
  sendJiraError(res, 429, ['Rate limit exceeded.']);
}

/** A human view of the tickets (the adapter hands out <host>/browse/<KEY> links). */
function browseRoutes(state: JiraState): express.Router {
  const router = express.Router();
  router.get('/', (_req, res) => {
    const rows = [...state.issues.values()]
      .map((issue) => `<li><a href="/browse/${escapeHtml(issue.key)}">${escapeHtml(issue.key)}</a> [${escapeHtml(STATUSES[issue.status].name)}] ${escapeHtml(issue.summary)} <span class="meta">${escapeHtml(issue.labels.join(', '))}</span></li>`)
      .join('');
    res.type('html').send(htmlPage('Jira emulator', `<h1>Jira emulator</h1><ul>${rows || '<li>No issues yet.</li>'}</ul>`));
  });
  router.get('/browse/:key', (req, res) => {
    const issue = state.findIssue(req.params.key);
    if (!issue) return void res.status(404).type('html').send(htmlPage('Not found', '<h1>Issue not found</h1>'));
    const comments = issue.comments
      .map((comment) => `<div class="card"><div class="meta">${escapeHtml(comment.author.displayName)} · ${escapeHtml(comment.created)}</div><div class="block">${escapeHtml(adfToText(comment.body))}</div></div>`)
      .join('');
    res.type('html').send(
      htmlPage(
        issue.key,
        `<p><a href="/">All issues</a></p><h1>${escapeHtml(issue.key)}: ${escapeHtml(issue.summary)}</h1>
<p>Status: <b>${escapeHtml(STATUSES[issue.status].name)}</b> · Labels: ${escapeHtml(issue.labels.join(', '))}</p>
<div class="card block">${escapeHtml(adfToText(issue.description))}</div><h2>Comments</h2>${comments || '<p>None.</p>'}`,
      ),
    );
  });
  return router;
}

export function createJiraEmulator(options: JiraEmulatorOptions = {}): JiraEmulator {
  const state = new JiraState();
  const faults = new FaultInjector();
  const requests: LoggedRequest[] = [];

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const counts = new RequestCounts();
  app.use(requestLogger(requests, counts));
  app.use('/_emulator', createControlRouter({ counts, dump: () => state.dump(), reset: () => state.reset(), seed: (d) => state.seed(d), faults }));
  app.use(browseRoutes(state));

  app.use('/rest', faults.middleware({ rateLimited, serverError: (res, status) => sendJiraError(res, status, ['Internal server error']) }));
  app.use('/rest', requireJiraAuth(options.credentials));
  app.use(express.json({ limit: '1mb' }));
  app.use(jiraRouter({ state, baseUrl: (req) => baseUrlOf(req, options.publicUrl) }));
  app.use((req, res) => sendJiraError(res, 404, [`null for uri: ${req.originalUrl}`]));
  const onError: ErrorRequestHandler = (err: { type?: string; message?: string }, _req, res, _next) => {
    if (err.type === 'entity.parse.failed') return sendJiraError(res, 400, ['Unexpected character in the request body: not valid JSON.']);
    sendJiraError(res, 500, [`Internal server error: ${err.message ?? 'unknown'}`]);
  };
  app.use(onError);

  if (options.directory) state.seed(options.directory);
  return { app, state, faults, requests, reset: () => state.reset(), seed: (d) => state.seed(d) };
}
