/**
 * A small append-only NDJSON audit store: idempotent by event id (a retried activity writes
 * nothing new). Good for one worker process in development; the durable SQL store replaces it.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AuditEvent, AuditPort } from '../ports';

export class FileAuditStore implements AuditPort {
  private readonly seen = new Set<string>();

  constructor(private readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
    if (existsSync(file)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        try {
          this.seen.add((JSON.parse(line) as AuditEvent).id);
        } catch {
          // a torn last line from a crash: the retried append rewrites it
        }
      }
    }
  }

  async append(event: AuditEvent): Promise<void> {
    if (this.seen.has(event.id)) return;
    appendFileSync(this.file, `${JSON.stringify(event)}\n`);
    this.seen.add(event.id);
  }

  read(): AuditEvent[] {
    if (!existsSync(this.file)) return [];
    return readFileSync(this.file, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as AuditEvent];
        } catch {
          return [];
        }
      });
  }
}
