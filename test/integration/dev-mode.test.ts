/**
 * Start-up validation of every entry point (SPEC §5, §9): a broken policy file or a bad setting
 * stops `npm run dev`, the API and the worker at once, with every problem named, before anything
 * is started. No Temporal server is needed: TEMPORAL_ADDRESS points at a closed port, so an entry
 * point that got past its checks would fail differently (and dev mode would refuse to launch a
 * Temporal server for a non-default address).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = join(__dirname, '..', '..');
const DEAD_TEMPORAL = '127.0.0.1:1';
/** tsx by absolute URL: the processes run in a scratch directory (so no repository .env is read). */
const TSX = pathToFileURL(require.resolve('tsx')).href;

/** Four independent problems: an unknown top-level key, default > max, a bad regex, an unknown approver set. */
const BROKEN_POLICY = `
defaults: { approvalTimeout: 1h }
colours: [red, green]
resources:
  prod-db-admin:
    name: Production database admin
    okta: { groupId: 00g_prod_db_admin }
    owners: [carol@example.com]
    duration: { default: 8h, max: 4h }
    justification: { required: true, pattern: "^[A-Z+-[0-9" }
    approval:
      steps:
        - { approvers: managers, count: 1 }
        - { approvers: owners, count: 1 }
`;

/** Each problem, as the message must name it (where it is, and what is wrong). */
const POLICY_PROBLEMS: [string, RegExp][] = [
  ['unknown top-level key', /colours/],
  ['duration default > max', /prod-db-admin\.duration.*default.*max/],
  ['bad regex', /prod-db-admin\.justification\.pattern.*regular expression/],
  ['unknown approver set', /prod-db-admin\.approval\.steps\.0\.approvers.*(manager|owners|oktaGroup|users)/],
];

const dir = mkdtempSync(join(tmpdir(), 'gh-devmode-'));
const brokenPolicy = join(dir, 'broken-policy.yaml');
const missingPolicy = join(dir, 'nope.yaml');
writeFileSync(brokenPolicy, BROKEN_POLICY);
const BAD = { PORT: 'notaport', LOG_LEVEL: 'loud', OKTA_ORG_URL: 'not a url' };

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  ms: number;
}

/** At most two at a time: each start-up is CPU-bound (tsx, the Temporal SDK), more only queue up. */
let slots = 2;
const waiting: (() => void)[] = [];
async function limited<T>(fn: () => Promise<T>): Promise<T> {
  if (slots === 0) await new Promise<void>((r) => waiting.push(r));
  else slots -= 1;
  try {
    return await fn();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else slots += 1;
  }
}

/** Runs an entry point with a clean environment (nothing from this process leaks in), killed after 30 s. */
const run = (script: string, env: Record<string, string>) => limited(() => runNow(script, env));

function runNow(script: string, env: Record<string, string>): Promise<Exit> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', TSX, script], {
    cwd: dir, // no .env is read from the repository
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'development', TEMPORAL_ADDRESS: DEAD_TEMPORAL, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: string[] = [];
  child.stdout.on('data', (c: Buffer) => chunks.push(c.toString()));
  child.stderr.on('data', (c: Buffer) => chunks.push(c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) =>
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output: chunks.join(''), ms: Date.now() - started });
    }),
  );
}

const script = (rel: string) => join(ROOT, rel);
const demoPolicy = join(ROOT, 'config', 'policy.yaml');

/** Every run starts at once (each Node + tsx + SDK start-up costs seconds); each test awaits its own. */
let runs: Record<string, Promise<Exit>>;
beforeAll(() => {
  const oktaForApi = { OKTA_ORG_URL: 'http://127.0.0.1:1', OKTA_API_TOKEN: 'x' };
  runs = {
    'policy dev': run(script('scripts/dev.ts'), { GATEHOUSE_POLICY: brokenPolicy }),
    'policy api/main.ts': run(script('api/main.ts'), { GATEHOUSE_POLICY: brokenPolicy, ...oktaForApi }),
    'policy workers/main.ts': run(script('workers/main.ts'), { GATEHOUSE_POLICY: brokenPolicy, ...oktaForApi }),
    'missing policy': run(script('workers/main.ts'), { GATEHOUSE_POLICY: missingPolicy }),
    'settings scripts/dev.ts': run(script('scripts/dev.ts'), { ...BAD, GATEHOUSE_POLICY: demoPolicy }),
    'settings api/main.ts': run(script('api/main.ts'), { ...BAD, GATEHOUSE_POLICY: demoPolicy }),
    'settings workers/main.ts': run(script('workers/main.ts'), { ...BAD, GATEHOUSE_POLICY: demoPolicy }),
    port: run(script('api/main.ts'), { PORT: 'notaport', GATEHOUSE_POLICY: demoPolicy }),
  };
});

describe('a broken policy file', () => {
  it('stops dev mode before anything starts, naming every problem', async () => {
    const res = await runs['policy dev']!;
    expect(res.signal).toBeNull();
    expect(res.code).not.toBe(0);
    expect(res.output).toContain(`Invalid policy ${brokenPolicy}`);
    for (const [what, re] of POLICY_PROBLEMS) expect({ what, named: re.test(res.output) }).toEqual({ what, named: true });
    // Nothing was started: no child's prefixed output, no attempt to reach Temporal.
    expect(res.output).not.toMatch(/\[(temporal|emulators|worker|api)\]/);
    expect(res.output).not.toContain(DEAD_TEMPORAL);
    expect(res.output).not.toContain('Gatehouse is running');
    expect(res.ms).toBeLessThan(20_000);
    console.log(`dev mode refused the broken policy in ${res.ms} ms:\n${res.output}`);
  });

  it.each([['api/main.ts'], ['workers/main.ts']])('stops %s, naming every problem', async (entry) => {
    const res = await runs[`policy ${entry}`]!;
    expect(res.signal).toBeNull();
    expect(res.code).not.toBe(0);
    expect(res.output).toContain(`Invalid policy ${brokenPolicy}`);
    for (const [what, re] of POLICY_PROBLEMS) expect({ what, named: re.test(res.output) }).toEqual({ what, named: true });
    expect(res.output).not.toMatch(/listening|worker started/);
    expect(res.ms).toBeLessThan(20_000);
  });

  it('a missing policy file is named too', async () => {
    const res = await runs['missing policy']!;
    expect(res.code).not.toBe(0);
    expect(res.output).toContain(`Invalid policy ${missingPolicy}`);
    expect(res.output).toMatch(/cannot read the file/);
  });
});

describe('bad settings', () => {
  it.each([['scripts/dev.ts'], ['api/main.ts'], ['workers/main.ts']])('%s exits non-zero naming each bad variable', async (entry) => {
    const res = await runs[`settings ${entry}`]!;
    expect(res.signal).toBeNull();
    expect(res.code).not.toBe(0);
    expect(res.output).toContain('Invalid configuration');
    for (const name of Object.keys(BAD)) expect(res.output).toMatch(new RegExp(`^\\s*- ${name}: `, 'm'));
    expect(res.output).not.toMatch(/\[(temporal|emulators|worker|api)\]|listening|worker started/);
    expect(res.ms).toBeLessThan(20_000);
  });

  it('PORT=notaport alone is reported by name', async () => {
    const res = await runs.port!;
    expect(res.code).not.toBe(0);
    expect(res.output).toMatch(/^\s*- PORT: /m);
  });
});
