/**
 * Issue 9, item 0: no input can stop the worker, and a stopped worker is never silent.
 * - The reproduction sent straight to Temporal (past the API, which answers 400 to it: see
 *   test/api/identity.test.ts): a revoke Update whose actor is a lone surrogate. The validator
 *   refuses it, the worker process keeps running, and another grant is revoked on time.
 * - A worker whose workflow code is not guarded (a fixture bundled without the failure converter)
 *   is stopped by the same input: the process logs why and exits non-zero, so a supervisor
 *   restarts it instead of leaving a worker that drains forever.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { bundleWorkflowCode } from '@temporalio/worker';
import { ulid } from 'ulid';
import { createOktaAdapter } from '../../activities/adapters';
import { accessRequestWorkflow } from '../../workflows';
import { accessRequestWorkflowId } from '../../workflows/constants';
import { revokeUpdate, statusQuery } from '../../workflows/access-request/messages';
import { echoUpdate, type unguardedWorkflow } from '../fixtures/unguarded/workflow';
import { startTestEmulators, type RunningEmulators } from '../helpers/emulators';
import { writeTestPolicy } from '../helpers/policies';
import { processEnv, startProcess, type ChildHandle } from '../helpers/processes';
import { uniqueQueue } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';

const AWS = '00g_aws_ro';
const LONE_SURROGATE = '\ud800';

let emulators: RunningEmulators;
let connection: Connection;
let client: Client;
beforeAll(async () => {
  emulators = await startTestEmulators({ okta: 0, slack: 0, jira: 0 });
  connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  client = new Client({ connection });
});
afterAll(async () => {
  await connection?.close();
  await emulators?.close();
});

const start = (taskQueue: string, resource: string, requester: string, durationMs?: number) => {
  const requestId = ulid();
  return client.workflow.start(accessRequestWorkflow, {
    taskQueue,
    workflowId: accessRequestWorkflowId(requestId),
    args: [{ requestId, requester, resource, ...(durationMs ? { durationMs } : {}) }],
  });
};

it('a revoke whose actor is a lone surrogate is refused, the worker stays up, the next expiry is revoked on time', async () => {
  const okta = createOktaAdapter({ orgUrl: emulators.okta.url, token: 'test' });
  const member = async (login: string) => (await okta.listGroupMembers(AWS)).some((u) => u.login === login);
  const taskQueue = uniqueQueue('poison');
  const env = processEnv(emulators, { GATEHOUSE_TASK_QUEUE: taskQueue, GATEHOUSE_POLICY: writeTestPolicy(mkdtempSync(join(tmpdir(), 'gh-pol-'))) });
  const worker = startProcess('workers/main.ts', env);
  try {
    await worker.waitForLine(/worker started/);
    const target = await start(taskQueue, 'long-readonly', 'dave@example.com');
    const next = await start(taskQueue, 'aws-readonly', 'alice@example.com', 4000);
    await waitFor(async () => (await target.query(statusQuery)).status === 'active', 'the target grant');
    await waitFor(async () => (await member('alice@example.com')) && (await next.query(statusQuery)).status === 'active', 'the other grant');

    const refusal = await target.executeUpdate(revokeUpdate, { args: [{ actor: LONE_SURROGATE }] }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refusal).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((refusal as WorkflowUpdateFailedError).cause).toBeInstanceOf(ApplicationFailure);
    expect(((refusal as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe('InvalidInput');

    const { expiresAt } = await next.query(statusQuery);
    await waitFor(async () => !(await member('alice@example.com')), 'the next expiry revoked', 20_000, 100);
    const lagMs = Date.now() - Date.parse(expiresAt!);
    expect(lagMs).toBeLessThan(5000);
    expect((await next.result()).status).toBe('expired');
    expect(worker.child.exitCode).toBeNull();
    expect(worker.output.join('\n')).not.toMatch(/Initiating Worker shutdown|stopped unexpectedly/);
    expect((await target.query(statusQuery)).status).toBe('active');
    await target.cancel();
  } finally {
    await worker.kill('SIGTERM');
  }
});

it('a worker stopped by an unguarded workflow logs why and exits non-zero', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-unguarded-'));
  const bundle = join(dir, 'bundle.js');
  const quiet = { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, log: () => undefined };
  // No failureConverterPath: the workflow side uses the SDK's default converter, as before issue 9.
  writeFileSync(bundle, (await bundleWorkflowCode({ workflowsPath: require.resolve('../fixtures/unguarded/workflow'), logger: quiet })).code);
  const taskQueue = uniqueQueue('unguarded');
  const env = processEnv(emulators, {
    GATEHOUSE_TASK_QUEUE: taskQueue,
    GATEHOUSE_WORKFLOW_BUNDLE: bundle,
    GATEHOUSE_WORKER_SHUTDOWN_FORCE_MS: '3000',
    GATEHOUSE_POLICY: writeTestPolicy(mkdtempSync(join(tmpdir(), 'gh-pol-'))),
  });
  const worker: ChildHandle = startProcess('workers/main.ts', env);
  try {
    await worker.waitForLine(/worker started/);
    const wf = await client.workflow.start<typeof unguardedWorkflow>('unguardedWorkflow', { taskQueue, workflowId: `unguarded-${ulid()}` });
    // The Update never completes (the worker that would answer it is gone): don't wait for it.
    void wf.executeUpdate(echoUpdate, { args: [`a${LONE_SURROGATE}b`] }).catch(() => undefined);
    const code = await waitFor(() => worker.child.exitCode, 'the worker process to exit', 60_000, 100);
    expect(code).toBe(1);
    expect(worker.output.join('\n')).toMatch(/the worker stopped unexpectedly/);
    await wf.terminate('test done').catch(() => undefined);
  } finally {
    await worker.kill('SIGKILL');
  }
});
