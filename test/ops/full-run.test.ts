/**
 * The real processes (API + worker) against the emulators, configured with unique secrets: a
 * lifecycle runs end to end; both /metrics endpoints expose the named series (the worker's with
 * the Temporal SDK runtime metrics); the JSON logs carry request, workflow and activity ids; and
 * not one configured secret appears anywhere in them.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { directoryWithUniqueUser, startTestEmulators, type RunningEmulators } from '../helpers/emulators';
import { writeTestPolicy } from '../helpers/policies';
import { processEnv, startProcess, type ChildHandle } from '../helpers/processes';
import { uniqueQueue } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';

const secret = (prefix: string) => `${prefix}${randomBytes(12).toString('hex')}`;
const SECRETS = {
  GATEHOUSE_API_TOKENS: secret('apitoken'),
  OKTA_API_TOKEN: secret('okta'),
  SLACK_BOT_TOKEN: secret('xoxb-'),
  SLACK_SIGNING_SECRET: secret('signing'),
  JIRA_API_TOKEN: secret('jira'),
};

let emulators: RunningEmulators;
let worker: ChildHandle;
let api: ChildHandle;
let apiUrl: string;
let workerMetricsUrl: string;
// A person of this suite's own: the Temporal server is shared, and a demo user another suite left
// quarantined (a risk serializer ended at HIGH) or with an open request would be refused here.
const { directory, login: requester } = directoryWithUniqueUser('ops');

beforeAll(async () => {
  emulators = await startTestEmulators({ directory });
  const env = processEnv(emulators, {
    GATEHOUSE_POLICY: writeTestPolicy(mkdtempSync(join(tmpdir(), 'gatehouse-ops-'))),
    GATEHOUSE_TASK_QUEUE: uniqueQueue('ops'),
    LOG_LEVEL: 'debug',
    PORT: '0',
    GATEHOUSE_WORKER_METRICS_PORT: '0',
    ...SECRETS,
    GATEHOUSE_API_TOKENS: `ops:${SECRETS.GATEHOUSE_API_TOKENS}`,
  });
  worker = startProcess('workers/main.ts', env);
  api = startProcess('api/main.ts', env);
  const [workerLine, apiLine] = await Promise.all([worker.waitForLine(/worker metrics listening/), api.waitForLine(/Gatehouse API listening/)]);
  workerMetricsUrl = (JSON.parse(workerLine) as { url: string }).url;
  apiUrl = (JSON.parse(apiLine) as { url: string }).url;
  await worker.waitForLine(/"msg":"worker started"/);
});
afterAll(async () => {
  await Promise.all([api?.kill(), worker?.kill()]);
  await emulators?.close();
});

interface Answer {
  id: string;
  status: string;
  audit?: { type: string }[];
}
const call = async (path: string, init: RequestInit = {}): Promise<{ status: number; body: Answer }> => {
  const res = await fetch(`${apiUrl}${path}`, { ...init, headers: { authorization: `Bearer ${SECRETS.GATEHOUSE_API_TOKENS}`, 'content-type': 'application/json', ...init.headers } });
  return { status: res.status, body: (await res.json()) as Answer };
};

it('runs a lifecycle; serves metrics; logs ids and never a secret', async () => {
  const created = await call('/v1/requests', { method: 'POST', body: JSON.stringify({ requester, resource: 'aws-readonly', duration: '2s' }) });
  expect({ status: created.status, body: created.body }).toMatchObject({ status: 201 });
  const id = created.body.id;
  const final = await waitFor(async () => {
    const v = await call(`/v1/requests/${id}`);
    return v.body.status === 'expired' && v.body.audit?.at(-1)?.type === 'expired' ? v.body : null;
  }, 'the request to expire with its audit trail', 30_000, 200);
  expect(final.audit!.map((e) => e.type)).toEqual(expect.arrayContaining(['requested', 'resolved', 'approved', 'granted', 'expired']));
  expect((await call('/readyz')).body).toEqual({ status: 'ready', temporal: 'ok', audit: 'ok' });

  // API metrics: latency and counts by route template and status.
  const apiMetrics = (await (await fetch(`${apiUrl}/metrics`)).text());
  expect(apiMetrics).toMatch(/gatehouse_http_request_duration_seconds_bucket\{le="[^"]+",method="GET",route="\/v1\/requests\/:id",status="200"\}/);
  expect(apiMetrics).toMatch(/gatehouse_http_requests_total\{method="POST",route="\/v1\/requests",status="201"\} 1/);

  // Worker metrics: Gatehouse's series, derived from the audit events, plus the SDK runtime's.
  const workerMetrics = await waitFor(async () => {
    const text = await (await fetch(workerMetricsUrl)).text();
    return /gatehouse_revoke_lag_seconds_count 1/.test(text) ? text : null;
  }, 'worker lifecycle metrics');
  for (const series of [
    /gatehouse_requests_total\{outcome="expired",resource="aws-readonly"\} 1/,
    /gatehouse_grant_latency_seconds_count 1/,
    /gatehouse_active_grants\{resource="aws-readonly"\} 0/,
    /# TYPE gatehouse_approval_wait_seconds histogram/,
    /# TYPE gatehouse_external_call_retries_total counter/,
    /gatehouse_activity_duration_seconds_count\{activity="grantOktaMembership",outcome="completed"\} 1/,
    /temporal_workflow_completed\{/,
    /temporal_activity_execution_latency/,
  ]) {
    expect(workerMetrics).toMatch(series);
  }

  // Structured logs: JSON lines carrying the ids that join them up.
  const lines = [...worker.output, ...api.output].flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
  expect(lines.some((l) => typeof l.workflowId === 'string' && typeof l.activityId === 'string' && l.msg === 'added user to Okta group')).toBe(true);
  expect(lines.some((l) => (l.req as { id?: unknown } | undefined)?.id && typeof l.responseTime === 'number')).toBe(true);

  // No configured secret anywhere, in any form the processes printed.
  await Promise.all([api.kill(), worker.kill()]);
  const everything = [...worker.output, ...api.output].join('\n');
  expect(everything.length).toBeGreaterThan(1000);
  for (const [name, value] of Object.entries(SECRETS)) {
    expect({ name, leaked: everything.includes(value) }).toEqual({ name, leaked: false });
  }
});
