import { loadDirectory, type Directory } from './shared/directory';
import { listen, type RunningServer } from './shared/http';
import { createJiraEmulator, type JiraEmulator, type JiraEmulatorOptions } from './jira';
import { createOktaEmulator, type OktaEmulator, type OktaEmulatorOptions } from './okta';
import { createSlackEmulator, type SlackEmulator, type SlackEmulatorOptions } from './slack';
import { createSmtpEmulator, type SmtpEmulator, type SmtpEmulatorOptions } from './smtp';

export { createJiraEmulator, createOktaEmulator, createSlackEmulator, createSmtpEmulator };
export type { JiraEmulator, OktaEmulator, SlackEmulator, SmtpEmulator };
export type { ReceivedMail, SmtpFaultSettings } from './smtp';
export { loadDirectory, parseDirectory, DEFAULT_DIRECTORY_PATH, type Directory, type DirectoryInput } from './shared/directory';
export { slackSignature } from './slack/signing';

/** A port (0 = any free one), or the emulator's options with an optional port; false skips it. */
type Choice<Options> = number | false | (Omit<Options, 'directory'> & { port?: number });

export interface StartEmulatorsOptions {
  host?: string;
  /** Seed for Okta, Slack and Jira; default config/demo-directory.yaml. */
  directory?: Directory;
  okta?: Choice<OktaEmulatorOptions>;
  slack?: Choice<SlackEmulatorOptions>;
  jira?: Choice<JiraEmulatorOptions>;
  /** `port` is the SMTP port; the page and /_emulator are on `httpPort`. */
  smtp?: Choice<SmtpEmulatorOptions>;
}

export interface RunningEmulators {
  okta: { url: string; emulator: OktaEmulator };
  slack: { url: string; apiUrl: string; emulator: SlackEmulator };
  jira: { url: string; emulator: JiraEmulator };
  /** url: the page and /_emulator; smtpUrl: smtp://host:port for SMTP_URL. */
  smtp: { url: string; smtpUrl: string; port: number; emulator: SmtpEmulator };
  close(): Promise<void>;
}

function split<Options>(choice: Choice<Options> | undefined): { port: number; options: Omit<Options, 'directory'> } | null {
  if (choice === false) return null;
  if (choice === undefined || typeof choice === 'number') return { port: choice ?? 0, options: {} as Omit<Options, 'directory'> };
  const { port = 0, ...options } = choice;
  return { port, options: options as unknown as Omit<Options, 'directory'> };
}

/**
 * Starts the emulators in this process (tests use free ports). A skipped emulator has an empty url.
 * `close()` stops every server that was started.
 */
export async function startEmulators(options: StartEmulatorsOptions = {}): Promise<RunningEmulators> {
  const host = options.host ?? '127.0.0.1';
  const directory = options.directory ?? loadDirectory();
  const servers: Pick<RunningServer, 'close'>[] = [];
  const start = async (app: Parameters<typeof listen>[0], port: number, onServer?: (server: RunningServer) => void) => {
    const server = await listen(app, port, host);
    servers.push(server);
    onServer?.(server);
    return server.url;
  };

  try {
    const okta = split(options.okta);
    const slack = split(options.slack);
    const jira = split(options.jira);
    const oktaEmulator = createOktaEmulator({ ...okta?.options, directory });
    const slackEmulator = createSlackEmulator({ ...slack?.options, directory });
    const jiraEmulator = createJiraEmulator({ ...jira?.options, directory });
    const oktaUrl = okta ? await start(oktaEmulator.app, okta.port) : '';
    // Socket Mode's WebSocket shares the Slack emulator's port (apps.connections.open → ws://…/link/);
    // its connections are cut before the HTTP server closes.
    const slackUrl = slack
      ? await start(slackEmulator.app, slack.port, (running) => {
          slackEmulator.attach(running.server);
          servers.unshift({ close: async () => slackEmulator.close() });
        })
      : '';
    const jiraUrl = jira ? await start(jiraEmulator.app, jira.port) : '';
    const smtp = split<SmtpEmulatorOptions>(options.smtp);
    const smtpEmulator = createSmtpEmulator();
    const smtpRunning = smtp ? await smtpEmulator.listen(smtp.port, smtp.options.httpPort ?? 0, host) : undefined;
    if (smtpRunning) servers.push(smtpRunning);
    return {
      okta: { url: oktaUrl, emulator: oktaEmulator },
      slack: { url: slackUrl, apiUrl: slackUrl ? `${slackUrl}/api/` : '', emulator: slackEmulator },
      jira: { url: jiraUrl, emulator: jiraEmulator },
      smtp: { url: smtpRunning?.url ?? '', smtpUrl: smtpRunning?.smtpUrl ?? '', port: smtpRunning?.port ?? 0, emulator: smtpEmulator },
      close: async () => {
        await Promise.all(servers.map((server) => server.close()));
      },
    };
  } catch (err) {
    await Promise.all(servers.map((server) => server.close()));
    throw err;
  }
}
