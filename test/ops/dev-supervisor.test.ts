/**
 * Dev mode restarts a worker that dies, and says so (issue 9, item 0): instead of leaving the API
 * answering 503 with no worker behind it. Any other child dying stops everything.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSupervisor } from '../../scripts/dev-supervisor';
import { waitFor } from '../helpers/wait';

const ROOT = join(__dirname, '..', '..');
const fixture = join(ROOT, 'test/fixtures/exits-once.ts');

function supervisor() {
  const lines: string[] = [];
  const fatal: number[] = [];
  const s = createSupervisor({ cwd: ROOT, say: (name, line) => lines.push(`[${name}] ${line}`), onFatal: (code) => fatal.push(code), restart: ['worker'], restartDelayMs: 10 });
  return { s, lines, fatal };
}

it('starts a new worker when the worker process dies, and says so', async () => {
  const { s, lines, fatal } = supervisor();
  const env = { EXITS_ONCE_MARKER: join(mkdtempSync(join(tmpdir(), 'gh-sup-')), 'marker') };
  try {
    s.start('worker', fixture, env);
    await waitFor(() => lines.some((l) => l === '[worker] worker started'), 'the replacement worker', 30_000);
    expect(lines).toContain('[worker] the worker stopped unexpectedly');
    expect(lines.some((l) => /^\[dev\] worker exited \(1\); starting a new one/.test(l))).toBe(true);
    expect(fatal).toEqual([]);
    expect(s.running().map((c) => c.name)).toEqual(['worker']);
  } finally {
    await s.stopAll();
  }
});

it('stops everything when another child dies', async () => {
  const { s, lines, fatal } = supervisor();
  const env = { EXITS_ONCE_MARKER: join(mkdtempSync(join(tmpdir(), 'gh-sup-')), 'marker') };
  try {
    s.start('api', fixture, env);
    await waitFor(() => fatal.length > 0, 'the supervisor to give up', 30_000);
    expect(fatal).toEqual([1]);
    expect(lines).toContain('[dev] api exited (1); stopping everything');
  } finally {
    await s.stopAll();
  }
});
