import { randomBytes } from 'node:crypto';
import express, { type ErrorRequestHandler, type Express } from 'express';
import type { SMTPServer } from 'smtp-server';
import { sendControlError } from '../shared/control';
import { listen, type RunningServer } from '../shared/http';
import { SmtpFaults } from './faults';
import { renderInbox } from './page';
import { createSmtpServer, listenSmtp, type RunningSmtpServer } from './server';
import { MailStore } from './state';

export type { ReceivedMail } from './state';
export type { SmtpFaultSettings } from './faults';

export interface SmtpEmulatorOptions {
  /** The HTTP page and /_emulator surface (default: any free port). The SMTP port is `port`. */
  httpPort?: number;
}

export interface SmtpEmulator {
  /** The page at / and the /_emulator surface. */
  app: Express;
  smtp: SMTPServer;
  store: MailStore;
  faults: SmtpFaults;
  reset(): void;
  /** SMTP on smtpPort and HTTP on httpPort (0 = free ports). */
  listen(smtpPort: number, httpPort: number, host?: string): Promise<RunningSmtpEmulator>;
}

export interface RunningSmtpEmulator {
  /** The page: http://host:httpPort */
  url: string;
  /** smtp://host:port, ready for SMTP_URL. */
  smtpUrl: string;
  port: number;
  close(): Promise<void>;
}

export function createSmtpEmulator(): SmtpEmulator {
  const store = new MailStore();
  const faults = new SmtpFaults();
  const smtp = createSmtpServer(store, faults);
  let smtpAddress = '(not listening)';
  const reset = () => {
    store.reset();
    faults.clear();
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get('/', (req, res) => {
    const to = typeof req.query.to === 'string' && req.query.to.trim() ? req.query.to.trim() : undefined;
    const nonce = randomBytes(16).toString('base64');
    // Defence in depth behind the sandboxed iframe: only this page's own script may run.
    res.setHeader('Content-Security-Policy', `script-src 'nonce-${nonce}'; object-src 'none'; base-uri 'none'; form-action 'none'`);
    res.type('html').send(renderInbox({ messages: store.list(to), version: store.version, smtpAddress, to, nonce }));
  });

  const control = express.Router();
  control.use(express.json({ limit: '1mb' }));
  control.get('/messages', (req, res) => {
    const { to } = req.query;
    if (to !== undefined && typeof to !== 'string') return void res.status(400).json({ error: 'invalid_query', message: 'to must be one e-mail address' });
    res.json({ messages: store.list(to) });
  });
  control.get('/state', (_req, res) => {
    res.json({ smtp: smtpAddress, ...store.dump(), faults: faults.snapshot() });
  });
  control.post('/reset', (_req, res) => {
    reset();
    res.status(204).end();
  });
  control.post('/faults', (req, res) => {
    try {
      faults.configure(req.body);
      res.json(faults.snapshot());
    } catch (err) {
      sendControlError(res, err);
    }
  });
  control.delete('/faults', (_req, res) => {
    faults.clear();
    res.status(204).end();
  });
  app.use('/_emulator', control);
  app.use((_req, res) => res.status(404).json({ error: 'not_found' }));
  const onError: ErrorRequestHandler = (err: { type?: string; message?: string }, _req, res, _next) => {
    if (err.type === 'entity.parse.failed') return void res.status(400).json({ error: 'invalid_json', message: err.message });
    res.status(500).json({ error: 'internal_error', message: err.message });
  };
  app.use(onError);

  return {
    app,
    smtp,
    store,
    faults,
    reset,
    listen: async (smtpPort, httpPort, host = '127.0.0.1') => {
      const running: RunningSmtpServer = await listenSmtp(smtp, smtpPort, host);
      let http: RunningServer;
      try {
        http = await listen(app, httpPort, host);
      } catch (err) {
        await running.close();
        throw err;
      }
      smtpAddress = `${host}:${running.port}`;
      return {
        url: http.url,
        smtpUrl: `smtp://${host}:${running.port}`,
        port: running.port,
        close: async () => {
          await Promise.all([running.close(), http.close()]);
        },
      };
    },
  };
}
