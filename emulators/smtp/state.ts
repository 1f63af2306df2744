import type { AddressObject, ParsedMail } from 'mailparser';
import type { SMTPServerEnvelope } from 'smtp-server';
import { randomId } from '../shared/http';

/** One received message, as `GET /_emulator/messages` answers it (SPEC §14). */
export interface ReceivedMail {
  id: string;
  /** ISO 8601: the Date header, or when it arrived. */
  date: string;
  /** The From header as written (`Gatehouse <gatehouse@example.com>`), else the envelope sender. */
  from: string;
  /** Every envelope recipient (To, Cc and Bcc alike): who actually received it. */
  to: string[];
  subject: string;
  text: string;
  html: string | null;
  /** The Message-ID header, angle brackets included (what nodemailer returns as messageId). */
  messageId: string | null;
  replyTo: string | null;
}

/** Enough for any dev session or test run; the oldest go first. */
const MAX_MESSAGES = 1000;

function addressText(header: AddressObject | AddressObject[] | undefined): string | null {
  if (!header) return null;
  return (Array.isArray(header) ? header : [header]).map((h) => h.text).join(', ') || null;
}

export class MailStore {
  private messages: ReceivedMail[] = [];
  /** Bumped on every change, so the page knows when to reload. */
  version = 0;

  add(parsed: ParsedMail, envelope: SMTPServerEnvelope, receivedAt = new Date()): ReceivedMail {
    const date = parsed.date && !Number.isNaN(parsed.date.getTime()) ? parsed.date : receivedAt;
    const mail: ReceivedMail = {
      id: randomId('msg_', 12),
      date: date.toISOString(),
      from: addressText(parsed.from) ?? (envelope.mailFrom ? envelope.mailFrom.address : ''),
      to: envelope.rcptTo.map((rcpt) => rcpt.address),
      subject: parsed.subject ?? '',
      text: parsed.text ?? '',
      // mailparser says false (not undefined) when there is no HTML part.
      html: typeof parsed.html === 'string' ? parsed.html : null,
      messageId: parsed.messageId ?? null,
      replyTo: addressText(parsed.replyTo),
    };
    this.messages.push(mail);
    if (this.messages.length > MAX_MESSAGES) this.messages.splice(0, this.messages.length - MAX_MESSAGES);
    this.version += 1;
    return mail;
  }

  /** In the order received; `to` keeps those with that recipient (case-insensitive). */
  list(to?: string): ReceivedMail[] {
    const wanted = to?.trim().toLowerCase();
    return wanted ? this.messages.filter((m) => m.to.some((address) => address.toLowerCase() === wanted)) : [...this.messages];
  }

  reset(): void {
    this.messages = [];
    this.version += 1;
  }

  dump(): { version: number; messages: number } {
    return { version: this.version, messages: this.messages.length };
  }
}
