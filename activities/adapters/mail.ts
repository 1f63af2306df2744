import { ApplicationFailure } from '@temporalio/common';
import nodemailer, { type NodemailerError, type Transporter } from 'nodemailer';
import type { SMTPPoolSentMessageInfo } from 'nodemailer';
import type { MailPort, OutgoingMail } from '../ports';

export interface MailSettings {
  /** smtp://user:pass@host:587 or smtps://…:465 (SMTP_URL); query options such as ?maxConnections=2 apply. */
  url: string;
  /** The From address (MAIL_FROM), e.g. `Gatehouse <gatehouse@example.com>`. */
  from: string;
  /** Milliseconds; the defaults keep every attempt well inside a 30 s activity timeout. */
  timeouts?: Partial<MailTimeouts>;
}

export interface MailTimeouts {
  connection: number;
  greeting: number;
  /** Inactivity on an open connection. */
  socket: number;
  /** The whole send, queueing in the pool included: the bound that holds whatever the server does. */
  send: number;
}

const DEFAULT_TIMEOUTS: MailTimeouts = { connection: 10_000, greeting: 10_000, socket: 15_000, send: 20_000 };

/** A URL could turn on nodemailer's protocol log, which would print every message body (credentials). */
function withoutLogging(url: string): string {
  const parsed = new URL(url);
  for (const key of ['logger', 'debug', 'transactionLog']) parsed.searchParams.delete(key);
  return parsed.toString();
}

/** The server's reply, shortened: enough to diagnose, never the message. */
function describe(err: NodemailerError): string {
  const reply = err.response ?? err.message ?? String(err);
  return reply.length > 300 ? `${reply.slice(0, 300)}…` : reply;
}

/**
 * SMTP failures onto the kinds of activities/errors.ts (classifyFailure): a permanent 5xx reply
 * (550 unknown recipient, 553, 554…) or a message that can never be sent as it is → non-retryable
 * MailRejected; a refused login → retryable MailAuthFailed (an operator fixes credentials); 4xx
 * replies, timeouts, aborts and connection errors → retryable MailUnavailable.
 */
export function toMailFailure(err: unknown): ApplicationFailure {
  const e = (err ?? {}) as NodemailerError;
  const details = [{ smtpCode: e.responseCode ?? null, code: e.code ?? null }];
  const message = describe(e);
  if (e.code === 'EAUTH' || e.code === 'ENOAUTH') {
    return ApplicationFailure.create({ type: 'MailAuthFailed', message: `Mail login refused: ${message}`, details });
  }
  const badAsSent = e.responseCode === undefined && ['EENVELOPE', 'EMESSAGE', 'EMAXRECIPIENTS', 'ECONFIG', 'EREQUIRETLS'].includes(e.code ?? '');
  if (e.permanent === true || badAsSent) {
    return ApplicationFailure.create({ type: 'MailRejected', message: `Mail rejected: ${message}`, nonRetryable: true, details });
  }
  return ApplicationFailure.create({ type: 'MailUnavailable', message: `Mail unavailable: ${message}`, details });
}

export class MailAdapter implements MailPort {
  private readonly transport: Transporter<SMTPPoolSentMessageInfo>;
  private readonly sendTimeoutMs: number;

  constructor(settings: MailSettings) {
    const timeouts = { ...DEFAULT_TIMEOUTS, ...settings.timeouts };
    this.sendTimeoutMs = timeouts.send;
    // Keys in the URL win over these (nodemailer's merge), so an operator can tune the pool there.
    this.transport = nodemailer.createTransport(
      {
        url: withoutLogging(settings.url),
        pool: true,
        maxConnections: 3,
        // A pooled connection the server closed while idle is retried once on a fresh one.
        maxRequeues: 1,
        idleTimeout: 30_000,
        connectionTimeout: timeouts.connection,
        greetingTimeout: timeouts.greeting,
        socketTimeout: timeouts.socket,
        dnsTimeout: timeouts.connection,
        logger: false,
        debug: false,
      },
      { from: settings.from },
    );
  }

  async send(mail: OutgoingMail): Promise<{ messageId: string; rejected?: string[] }> {
    let info: SMTPPoolSentMessageInfo;
    try {
      info = await this.transport.sendMail({
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        replyTo: mail.replyTo,
        signal: AbortSignal.timeout(this.sendTimeoutMs),
      });
    } catch (err) {
      throw toMailFailure(err);
    }
    const rejected = (info.rejected ?? []).map(String);
    return rejected.length > 0 ? { messageId: info.messageId, rejected } : { messageId: info.messageId };
  }

  /** Closes the pooled connections (worker shutdown, tests). */
  close(): void {
    this.transport.close();
  }
}

export function createMailAdapter(settings: MailSettings): MailAdapter {
  return new MailAdapter(settings);
}
