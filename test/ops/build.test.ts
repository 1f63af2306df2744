/**
 * The production build (SPEC §15): `npm run build`, then dist/ copied on its own next to
 * node_modules and run with plain `node` in production mode (NODE_ENV=production, the audit log on
 * PostgreSQL, Okta, Slack and Jira at the emulators' URLs as if they were the real systems): a
 * request lives its whole life through the compiled API and worker; the worker runs the pre-built
 * workflow bundle (with the failure converter) instead of bundling at start-up; and neither process
 * loads TypeScript tooling, an emulator, a fake or a test module.
 */
import { spawnSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type Postgres } from '../../scripts/postgres';
import { directoryWithUniqueUser, startTestEmulators, type RunningEmulators } from '../helpers/emulators';
import { writeTestPolicy } from '../helpers/policies';
import { processEnv, startNode, type ChildHandle } from '../helpers/processes';
import { uniqueQueue } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';

const ROOT = join(__dirname, '..', '..');
const SCRIPTS = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
const TOKEN = `build${Date.now().toString(36)}token`;

/** Loaded with --require: on exit, writes every CommonJS module the process loaded and its flags. */
const TRACER = `
const { writeFileSync } = require('node:fs');
process.on('exit', () => {
  writeFileSync(process.env.GATEHOUSE_TRACE_FILE, JSON.stringify({ modules: Object.keys(require.cache), execArgv: process.execArgv, nodeOptions: process.env.NODE_OPTIONS ?? '' }));
});
`;

let work: string;
let pg: Postgres;
let emulators: RunningEmulators;
let worker: ChildHandle;
let api: ChildHandle;
let apiUrl: string;
let requester: string;
let build: { status: number | null; output: string };

beforeAll(async () => {
  const started = Date.now();
  const run = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  build = { status: run.status, output: `${run.stdout}\n${run.stderr}` };
  if (run.status !== 0) throw new Error(`npm run build failed (${run.status ?? run.signal}):\n${build.output}`);
  console.log(`npm run build: ${Date.now() - started} ms`);

  // dist/ and package.json alone, beside the installed packages: nothing else of the checkout.
  work = mkdtempSync(join(tmpdir(), 'gatehouse-build-'));
  cpSync(join(ROOT, 'dist'), join(work, 'dist'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(work, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(work, 'node_modules'), 'dir');
  writeFileSync(join(work, 'tracer.js'), TRACER);

  // Searchable by others, so the server (run as the postgres user under root) lives right there.
  const pgDir = mkdtempSync(join(tmpdir(), 'gatehouse-build-pg-'));
  chmodSync(pgDir, 0o755);
  pg = await startPostgres({ dir: pgDir });
  pg.psql('CREATE DATABASE gatehouse_audit');
  const unique = directoryWithUniqueUser('build');
  requester = unique.login;
  emulators = await startTestEmulators({ directory: unique.directory });

  const env = processEnv(emulators, {
    NODE_ENV: 'production',
    NODE_OPTIONS: '',
    GATEHOUSE_WORKFLOW_BUNDLE: '',
    GATEHOUSE_AUDIT_DB: '',
    DATABASE_URL: pg.url.replace(/\/postgres$/, '/gatehouse_audit'),
    GATEHOUSE_POLICY: writeTestPolicy(join(work, 'config')),
    GATEHOUSE_TASK_QUEUE: uniqueQueue('build'),
    GATEHOUSE_API_TOKENS: `build:${TOKEN}`,
    PORT: '0',
    GATEHOUSE_WORKER_METRICS_PORT: '0',
  });
  // The start:* scripts, which are also the image's commands (test/ops/container.test.ts), with the tracer.
  const traced = (script: string) => {
    const [node, ...args] = SCRIPTS[script]!.split(' ');
    expect(node).toBe('node');
    return ['--require', join(work, 'tracer.js'), ...args];
  };
  worker = startNode(traced('start:worker'), { ...env, GATEHOUSE_TRACE_FILE: join(work, 'worker-modules.json') }, { cwd: work, label: SCRIPTS['start:worker'] });
  api = startNode(traced('start:api'), { ...env, GATEHOUSE_TRACE_FILE: join(work, 'api-modules.json') }, { cwd: work, label: SCRIPTS['start:api'] });
  const apiLine = await api.waitForLine(/Gatehouse API listening/);
  apiUrl = (JSON.parse(apiLine) as { url: string }).url;
  await worker.waitForLine(/"msg":"worker started"/);
}, 300_000);

afterAll(async () => {
  await Promise.all([api?.kill(), worker?.kill()]);
  await emulators?.close();
  await pg?.stop();
  for (const dir of [work, pg?.dir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

const call = async (path: string, init: RequestInit = {}) => {
  const res = await fetch(`${apiUrl}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...init.headers } });
  return { status: res.status, body: (await res.json()) as { id: string; status: string; audit?: { type: string }[] } };
};

it('builds plain JavaScript and a workflow bundle holding the failure converter, and nothing of the emulators, fakes or tests', () => {
  const dist = join(ROOT, 'dist');
  for (const file of ['workers/main.js', 'api/main.js', 'workflows/index.js', 'workflows/shared/failure-converter.js', 'workflow-bundle.js']) {
    expect({ file, built: existsSync(join(dist, file)) }).toEqual({ file, built: true });
  }
  for (const dir of ['emulators', 'activities/fakes', 'scripts', 'test', 'bench']) {
    expect({ dir, built: existsSync(join(dist, dir)) }).toEqual({ dir, built: false });
  }
  const bundle = readFileSync(join(dist, 'workflow-bundle.js'), 'utf8');
  expect(bundle).toContain('__temporal_custom_failure_converter');
  expect(bundle).toContain('class WellFormedFailureConverter extends');
  // The bundle is made from the compiled JavaScript, not the TypeScript sources.
  expect(bundle).toContain('./dist/workflows/index.js');
  expect(build.output).not.toMatch(/\btsx\b/);
});

it("needs only package.json's dependencies at run time, and every one of them", () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
  const files = (readdirSync(join(ROOT, 'dist'), { recursive: true }) as string[]).filter((f) => f.endsWith('.js') && f !== 'workflow-bundle.js');
  const required = new Set<string>();
  for (const file of files) {
    for (const [, spec] of readFileSync(join(ROOT, 'dist', file), 'utf8').matchAll(/\brequire\("([^"]+)"\)/g)) {
      if (spec!.startsWith('.') || spec!.startsWith('node:') || builtinModules.includes(spec!)) continue;
      required.add(spec!.startsWith('@') ? spec!.split('/').slice(0, 2).join('/') : spec!.split('/')[0]!);
    }
  }
  expect([...required].sort()).toEqual(Object.keys(pkg.dependencies).sort());
  for (const devOnly of ['tsx', '@temporalio/testing', 'typescript', 'smtp-server', 'mailparser']) expect(Object.keys(pkg.devDependencies)).toContain(devOnly);
});

it('runs a request lifecycle through the compiled API and worker, with no TypeScript tooling, emulator, fake or test module loaded', async () => {
  const created = await call('/v1/requests', { method: 'POST', body: JSON.stringify({ requester, resource: 'aws-readonly', duration: '2s' }) });
  expect(created).toMatchObject({ status: 201 });
  const final = await waitFor(async () => {
    const v = await call(`/v1/requests/${created.body.id}`);
    return v.body.status === 'expired' && v.body.audit?.at(-1)?.type === 'expired' ? v.body : null;
  }, 'the request to expire with its audit trail', 30_000, 200);
  expect(final.audit!.map((e) => e.type)).toEqual(expect.arrayContaining(['requested', 'resolved', 'approved', 'granted', 'expired']));
  expect((await call('/readyz')).body).toEqual({ status: 'ready', temporal: 'ok', audit: 'ok' });

  // The worker ran the bundle npm run build wrote, and never bundled (webpack logs that it did).
  const started = JSON.parse(worker.output.find((l) => l.includes('"msg":"worker started"'))!) as { workflowBundle: string };
  expect(started.workflowBundle).toBe(join(work, 'dist', 'workflow-bundle.js'));
  expect(worker.output.join('\n')).not.toMatch(/Workflow bundle created|webpack/i);

  await Promise.all([api.kill(), worker.kill()]);
  for (const [name, proc] of [['worker', worker], ['api', api]] as const) {
    expect({ name, exitCode: proc.child.exitCode }).toEqual({ name, exitCode: 0 });
    const trace = JSON.parse(readFileSync(join(work, `${name}-modules.json`), 'utf8')) as { modules: string[]; execArgv: string[]; nodeOptions: string };
    expect(trace.execArgv).toEqual(['--require', join(work, 'tracer.js')]);
    expect(trace.nodeOptions).toBe('');
    const ours = trace.modules.filter((m) => !m.includes('/node_modules/'));
    const packages = trace.modules.filter((m) => m.includes('/node_modules/'));
    expect(ours.length).toBeGreaterThan(20);
    expect(packages.some((m) => m.includes('/node_modules/@temporalio/client/'))).toBe(true);
    // Every module of ours is compiled JavaScript from the copied dist/ (plus the tracer).
    expect(ours.filter((m) => !m.startsWith(join(work, 'dist') + '/') && m !== join(work, 'tracer.js'))).toEqual([]);
    expect(ours.filter((m) => /\/(emulators|fakes|test|scripts|bench)\//.test(m.slice(work.length)))).toEqual([]);
    // No TypeScript at run time: no tsx, compiler, swc (the bundler's loader) or test SDK.
    expect(packages.filter((m) => /\/node_modules\/(tsx|typescript|@swc|@temporalio\/testing|esbuild|jest|smtp-server|mailparser)\//.test(m))).toEqual([]);
  }
});
