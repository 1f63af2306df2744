import { z } from 'zod';

/**
 * SMTP faults. The HTTP emulators' FaultInjector speaks HTTP statuses; a mail server fails with
 * reply codes instead: a transient 4xx for everything (an outage) or a permanent 5xx for chosen
 * recipients. Each key given replaces that kind of fault; the others stay.
 */
export const smtpFaultSettingsSchema = z
  .object({
    /** Delays the reply to DATA (a slow server). */
    latencyMs: z.number().int().min(0).max(600_000).optional(),
    /** For `seconds`, every transaction gets `code`: 421 also refuses new connections at the greeting. */
    outage: z
      .object({
        seconds: z.number().positive(),
        code: z.union([z.literal(421), z.literal(451)]).default(421),
      })
      .optional(),
    /** RCPT TO of these addresses (case-insensitive) is refused with a permanent reply. */
    reject: z
      .object({
        recipients: z.array(z.string().trim().min(1)).min(1),
        code: z.number().int().min(550).max(554).default(550),
        message: z.string().min(1).optional(),
      })
      .optional(),
  })
  .strict();

export type SmtpFaultSettings = z.input<typeof smtpFaultSettingsSchema>;

/** An error the smtp-server callbacks turn into the reply `code message`. */
export function smtpReply(code: number, message: string): Error & { responseCode: number } {
  return Object.assign(new Error(message), { responseCode: code });
}

export class SmtpFaults {
  private latencyMs = 0;
  private outage?: { until: number; code: 421 | 451 };
  private reject?: { recipients: Set<string>; code: number; message?: string };
  /** Replies refused since the last clear (tests check a fault was hit). */
  readonly injected = { transient: 0, rejected: 0 };

  configure(input: unknown): void {
    const settings = smtpFaultSettingsSchema.parse(input ?? {});
    if (settings.latencyMs !== undefined) this.latencyMs = settings.latencyMs;
    if (settings.outage) this.outage = { until: Date.now() + settings.outage.seconds * 1000, code: settings.outage.code };
    if (settings.reject) {
      const { recipients, code, message } = settings.reject;
      this.reject = { recipients: new Set(recipients.map((r) => r.toLowerCase())), code, message };
    }
  }

  clear(): void {
    this.latencyMs = 0;
    this.outage = undefined;
    this.reject = undefined;
    this.injected.transient = 0;
    this.injected.rejected = 0;
  }

  get delayMs(): number {
    return this.latencyMs;
  }

  /** The transient reply for a transaction (or, for 421, a connection) during an outage; null otherwise. */
  outageReply(stage: 'connect' | 'transaction'): Error | null {
    const outage = this.outage && this.outage.until > Date.now() ? this.outage : undefined;
    if (!outage || (stage === 'connect' && outage.code !== 421)) return null;
    this.injected.transient += 1;
    return outage.code === 421
      ? smtpReply(421, '4.3.2 Service not available, closing transmission channel (emulated outage)')
      : smtpReply(451, '4.3.0 Local error in processing, try again later (emulated outage)');
  }

  /** The permanent reply for a refused recipient; null when it is accepted. */
  recipientReply(address: string): Error | null {
    if (!this.reject?.recipients.has(address.toLowerCase())) return null;
    this.injected.rejected += 1;
    return smtpReply(this.reject.code, this.reject.message ?? `5.1.1 <${address}>: Recipient address rejected (emulated)`);
  }

  snapshot(): Record<string, unknown> {
    const outage = this.outage && this.outage.until > Date.now() ? { code: this.outage.code, until: new Date(this.outage.until).toISOString() } : undefined;
    const reject = this.reject ? { recipients: [...this.reject.recipients], code: this.reject.code } : undefined;
    return { latencyMs: this.latencyMs, outage, reject, injected: { ...this.injected } };
  }
}
