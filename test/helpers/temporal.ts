import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type Activities } from '../../activities';
import { createFakePorts, type FakePorts } from '../../activities/fakes';
import { loadPolicy } from '../../activities/policy/load';
import type { Policy } from '../../activities/policy/schema';
import { workflowCode } from '../../workers/workflow-code';

let runtimeInstalled = false;
/** Keep the SDK's own logging to errors in tests (retried activity failures are expected). Runtime is a process singleton. */
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // already installed by an earlier test file in this process
  }
}

export function temporalAddress(): string {
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) throw new Error('TEMPORAL_ADDRESS is not set: run the tests with `npm test` (the global setup starts a dev server)');
  return address;
}

export const demoPolicy = (): Policy => loadPolicy(require.resolve('../../config/policy.yaml'));

export interface TestHarness {
  client: Client;
  connection: Connection;
  nativeConnection: NativeConnection;
  close(): Promise<void>;
}

export async function connectHarness(address = temporalAddress()): Promise<TestHarness> {
  quietRuntime();
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  return {
    client: new Client({ connection }),
    connection,
    nativeConnection,
    async close() {
      await connection.close();
      await nativeConnection.close();
    },
  };
}

export const uniqueQueue = (prefix = 'test'): string => `${prefix}-${randomUUID()}`;

export async function createTestWorker(
  h: Pick<TestHarness, 'nativeConnection'>,
  opts: { taskQueue: string; activities?: Partial<Activities>; ports?: FakePorts; policy?: Policy } & Partial<WorkerOptions>,
): Promise<{ worker: Worker; ports: FakePorts }> {
  const ports = opts.ports ?? createFakePorts();
  const policy = opts.policy ?? demoPolicy();
  const bundlePath = process.env.GATEHOUSE_TEST_BUNDLE;
  const { activities: override, ports: _p, policy: _pol, ...rest } = opts;
  const worker = await Worker.create({
    connection: h.nativeConnection,
    namespace: 'default',
    ...workflowCode(bundlePath),
    activities: { ...createActivities({ ...ports, policy: () => policy }), ...override },
    ...rest,
  });
  return { worker, ports };
}

/**
 * Ends what a test file left on its task queue: running workflows are terminated, then every
 * workflow of the queue is deleted. The server is shared by all test files, and some workflow ids
 * are global (a user's risk workflow): a closed one left behind would still be queried (and its
 * queue has no worker any more), or listed among another file's requests. Deletion is
 * asynchronous: on the dev server a deleted workflow stays visible for tens of seconds, so a file
 * that queries a global workflow starts its own run of it (test/api/fuzz.test.ts).
 */
export async function deleteWorkflowsOn(client: Client, taskQueue: string): Promise<void> {
  const runs: { workflowId: string; runId: string }[] = [];
  for await (const wf of client.workflow.list({ query: `TaskQueue = "${taskQueue}"` })) runs.push({ workflowId: wf.workflowId, runId: wf.runId });
  for (const run of runs) {
    await client.workflow.getHandle(run.workflowId).terminate('test cleanup').catch(() => undefined);
    await client.workflowService.deleteWorkflowExecution({ namespace: client.options.namespace, workflowExecution: run }).catch(() => undefined);
  }
}
