/**
 * The Dockerfile and docker-compose.temporal.yml, checked without a container engine: the compose
 * file parses; every published port is on loopback; no password, token or secret is written in
 * it; Temporal runs on PostgreSQL from the server image after an explicit schema step (the same
 * SQL-tool steps `npm run cluster` runs) and registers Gatehouse's search attributes; the worker
 * and the API run the image's commands, which are package.json's start:* scripts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { TEMPORAL_SERVER_VERSION, TEMPORAL_UI_VERSION } from '../../scripts/cluster/binaries';
import { SCHEMA_STEPS } from '../../scripts/cluster/server';
import { SEARCH_ATTRIBUTES } from '../../workflows/constants';

const ROOT = join(__dirname, '..', '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

interface Service {
  image?: string;
  build?: string;
  command?: string | string[];
  entrypoint?: string[];
  environment?: Record<string, string | number | null>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
}
const composeText = read('docker-compose.temporal.yml');
const compose = parse(composeText, { merge: true }) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
const services = compose.services;
const script = (s: Service) => (Array.isArray(s.command) ? s.command.join('\n') : (s.command ?? ''));
const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
const dockerfile = read('Dockerfile');

describe('docker-compose.temporal.yml', () => {
  it('parses, with the services of a production set-up', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'audit-postgresql', 'temporal', 'temporal-postgresql', 'temporal-schema', 'temporal-setup', 'temporal-ui', 'worker']);
  });

  it('publishes every port on 127.0.0.1 only', () => {
    const published = Object.entries(services).flatMap(([name, s]) => (s.ports ?? []).map((p) => `${name} ${p}`));
    expect(published.length).toBeGreaterThanOrEqual(3);
    for (const entry of published) expect(entry).toMatch(/^\S+ 127\.0\.0\.1:/);
  });

  it('writes no password, token or secret: each comes from the environment, the passwords required', () => {
    const secretName = /PASSWORD|PWD|SECRET|TOKEN|PRIVATE_KEY|API_KEY|DATABASE_URL/;
    const checked: string[] = [];
    for (const [name, s] of Object.entries(services)) {
      for (const [key, raw] of Object.entries(s.environment ?? {})) {
        if (!secretName.test(key)) continue;
        const value = String(raw);
        checked.push(`${name}.${key}`);
        // Every secret is interpolated, and a default may only be empty.
        const literal = value.replace(/\$\{[A-Z_]+(:\?[^}]*|:-)?\}/g, '');
        if (key === 'DATABASE_URL') expect(literal).toBe('postgres://gatehouse:@audit-postgresql:5432/gatehouse_audit');
        else expect(`${name}.${key}=${literal}`).toBe(`${name}.${key}=`);
        if (/PASSWORD|PWD|GATEHOUSE_API_TOKENS|DATABASE_URL/.test(key)) expect(value).toMatch(/\$\{[A-Z_]+:\?/);
      }
    }
    expect(checked).toEqual(expect.arrayContaining(['temporal-postgresql.POSTGRES_PASSWORD', 'temporal.POSTGRES_PWD', 'temporal-schema.SQL_PASSWORD', 'audit-postgresql.POSTGRES_PASSWORD', 'worker.DATABASE_URL', 'api.SLACK_SIGNING_SECRET']));
    // Nor anywhere else in the file (the old one had `POSTGRES_PASSWORD: temporal`).
    expect(composeText).not.toMatch(/(PASSWORD|PWD)\s*[:=]\s*['"]?[A-Za-z0-9]/);
  });

  it('runs the server image on PostgreSQL after the schema step, never the deprecated auto-setup image', () => {
    for (const s of Object.values(services)) expect(s.image ?? '').not.toMatch(/auto-setup/);
    const temporal = services.temporal!;
    expect(temporal.image).toBe(`temporalio/server:${TEMPORAL_SERVER_VERSION}`);
    expect(temporal.environment).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'temporal-postgresql' });
    expect(temporal.depends_on).toEqual({ 'temporal-schema': { condition: 'service_completed_successfully' } });
    const dynamicConfig = temporal.volumes!.find((v) => v.includes('dynamicconfig'))!.split(':')[0]!;
    expect(existsSync(join(ROOT, dynamicConfig))).toBe(true);
    expect(temporal.environment!.DYNAMIC_CONFIG_FILE_PATH).toBe(temporal.volumes!.find((v) => v.includes('dynamicconfig'))!.split(':')[1]);
    expect(services['temporal-ui']!.image).toBe(`temporalio/ui:${TEMPORAL_UI_VERSION}`);
  });

  it('sets up the schemas with the SQL tool, the same steps npm run cluster runs', () => {
    const schema = services['temporal-schema']!;
    expect(schema.image).toMatch(new RegExp(`^temporalio/admin-tools:${TEMPORAL_SERVER_VERSION.replace(/\./g, '\\.')}-`));
    expect(schema.environment).toMatchObject({ SQL_PLUGIN: 'postgres12', SQL_HOST: 'temporal-postgresql', SQL_USER: 'temporal' });
    const lines = script(schema).trim().split('\n');
    expect(lines).toEqual(SCHEMA_STEPS.map(({ db, args }) => `temporal-sql-tool --db ${db} ${args.join(' ')}`));
  });

  it('creates the default namespace and every Gatehouse search attribute with its type', () => {
    const setup = script(services['temporal-setup']!);
    expect(setup).toMatch(/temporal operator namespace create --namespace default/);
    const types: Record<string, string> = { KEYWORD: 'Keyword', DATETIME: 'Datetime' };
    const registered = /for attribute in ([^;\n]+);/.exec(setup)![1]!.trim().split(/\s+/).sort();
    expect(registered).toEqual(SEARCH_ATTRIBUTES.map((key) => `${key.name}:${types[key.type]}`).sort());
    expect(services['temporal-setup']!.depends_on).toEqual({ temporal: { condition: 'service_started' } });
  });

  it('runs the worker and the API from the Dockerfile with the start:* commands, the audit log on its own PostgreSQL', () => {
    const { worker, api } = services;
    expect([worker!.build, api!.build]).toEqual(['.', '.']);
    expect(worker!.image).toBe(api!.image);
    expect(worker!.command).toEqual(scripts['start:worker']!.split(' '));
    expect(api!.command).toEqual(scripts['start:api']!.split(' '));
    for (const s of [worker!, api!]) {
      expect(s.environment).toMatchObject({ NODE_ENV: 'production', TEMPORAL_ADDRESS: 'temporal:7233', GATEHOUSE_POLICY: '/etc/gatehouse/policy.yaml' });
      expect(String(s.environment!.DATABASE_URL)).toMatch(/@audit-postgresql:5432\/gatehouse_audit$/);
      expect(s.depends_on).toEqual({ 'temporal-setup': { condition: 'service_completed_successfully' }, 'audit-postgresql': { condition: 'service_healthy' } });
    }
    expect(services['audit-postgresql']!.image).toMatch(/^postgres:/);
    expect(services['audit-postgresql']!.environment!.POSTGRES_DB).toBe('gatehouse_audit');
    expect(existsSync(join(ROOT, 'config', 'policy.yaml'))).toBe(true);
  });
});

describe('Dockerfile', () => {
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const runtime = stages.at(-1)!;

  it('builds in one stage and runs production dependencies and dist/ as a non-root user in the other', () => {
    expect(stages).toHaveLength(2);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:\d+-slim$/m);
    expect(stages[0]).toMatch(/^\$\{NODE_IMAGE\} AS build/);
    expect(stages[0]).toMatch(/RUN npm ci\b/);
    expect(stages[0]).toMatch(/RUN npm run build && npm prune --omit=dev/);
    expect(runtime).toMatch(/^\$\{NODE_IMAGE\}\n/);
    expect(runtime.match(/^COPY .*$/gm)!.map((l) => l.split(' ').at(-1))).toEqual(['./', './node_modules', './dist']);
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^ENV NODE_ENV=production$/m);
  });

  it('runs the worker by default and documents the API command, both the start:* scripts', () => {
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(runtime)![1]!) as string[];
    expect(cmd).toEqual(scripts['start:worker']!.split(' '));
    expect(dockerfile).toContain(`gatehouse ${scripts['start:api']}`);
  });

  it('keeps secrets and local state out of the build context', () => {
    const ignored = read('.dockerignore').split('\n').filter((l) => l && !l.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['.env', 'node_modules', '.data', '.git', 'dist']));
    // Nor can the image hold the emulators, the dev scripts or the tests: the build would fail if
    // the production program imported them (test/ops/build.test.ts checks dist/ too).
    expect(ignored).toEqual(expect.arrayContaining(['emulators', 'scripts', 'bench', 'test']));
  });
});
