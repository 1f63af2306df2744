/**
 * Durability across restarts (issue 2): a grant that sleeps through a SIGKILLed worker process,
 * and through a stopped and restarted Temporal server, is still revoked.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { ulid } from 'ulid';
import { createOktaAdapter } from '../../activities/adapters';
import { accessRequestWorkflow } from '../../workflows';
import { accessRequestWorkflowId } from '../../workflows/constants';
import { statusQuery } from '../../workflows/access-request/messages';
import { startDevServer } from '../../scripts/temporal-server';
import { startTestEmulators, type RunningEmulators } from '../helpers/emulators';
import { writeTestPolicy, testPolicy } from '../helpers/policies';
import { processEnv, startProcess } from '../helpers/processes';
import { connectHarness, createTestWorker, uniqueQueue } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';

const AWS = '00g_aws_ro';

describe('a worker process SIGKILLed while a grant sleeps', () => {
  let emulators: RunningEmulators;
  beforeAll(async () => {
    emulators = await startTestEmulators({ okta: 0, slack: 0, jira: 0 });
  });
  afterAll(async () => {
    await emulators?.close();
  });

  it('revokes as soon as a new worker starts after the expiry time', async () => {
    const okta = createOktaAdapter({ orgUrl: emulators.okta.url, token: 'test' });
    const members = async () => (await okta.listGroupMembers(AWS)).map((u) => u.login);
    const taskQueue = uniqueQueue('restart');
    const env = processEnv(emulators, { GATEHOUSE_TASK_QUEUE: taskQueue, GATEHOUSE_POLICY: writeTestPolicy(mkdtempSync(join(tmpdir(), 'gh-pol-'))) });
    const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
    const client = new Client({ connection });
    const first = startProcess('workers/main.ts', env);
    let second: ReturnType<typeof startProcess> | undefined;
    try {
      await first.waitForLine(/worker started/);
      const requestId = ulid();
      const wf = await client.workflow.start(accessRequestWorkflow, {
        taskQueue,
        workflowId: accessRequestWorkflowId(requestId),
        args: [{ requestId, requester: 'alice@example.com', resource: 'aws-readonly', durationMs: 4000 }],
      });
      await waitFor(async () => (await members()).includes('alice@example.com'), 'alice in the Okta group');
      const { expiresAt } = await wf.query(statusQuery);

      await first.kill('SIGKILL');
      // Nothing can revoke while no worker runs: wait until the grant is past its expiry.
      await waitFor(() => Date.now() > Date.parse(expiresAt!) + 1000, 'the expiry time to pass', 30_000, 100);
      expect(await members()).toContain('alice@example.com');

      const restartedAt = Date.now();
      second = startProcess('workers/main.ts', env);
      await waitFor(async () => !(await members()).includes('alice@example.com'), 'the revoke after the restart', 30_000);
      const lag = Date.now() - restartedAt;
      const final = await wf.result();
      expect(final.status).toBe('expired');
      expect(final.standingMember).toBe(false);
      // "At once": the revoke is the new worker's first job, not the next poll cycle.
      expect(lag).toBeLessThan(20_000);
      console.log(`revoke ${lag} ms after the replacement worker was started`);
    } finally {
      await first.kill('SIGKILL');
      await second?.kill('SIGTERM');
      await connection.close();
    }
  });
});

describe('the Temporal server restarted on the same SQLite file while a grant sleeps', () => {
  it('still revokes', async () => {
    const dbFile = join(mkdtempSync(join(tmpdir(), 'gh-db-')), 'temporal.sqlite');
    let server = await startDevServer({ dbFile, headless: true, fastTimers: true });
    const port = Number(server.address.split(':')[1]);
    const h = await connectHarness(server.address);
    const taskQueue = uniqueQueue('server-restart');
    const { worker, ports } = await createTestWorker(h, { taskQueue, policy: testPolicy() });
    const running = worker.run();
    try {
      const requestId = ulid();
      const wf = await h.client.workflow.start(accessRequestWorkflow, {
        taskQueue,
        workflowId: accessRequestWorkflowId(requestId),
        args: [{ requestId, requester: 'alice@example.com', resource: 'aws-readonly', durationMs: 8000 }],
      });
      await waitFor(() => ports.okta.memberLogins(AWS).includes('alice@example.com'), 'the grant');

      await server.stop();
      server = await startDevServer({ dbFile, port, headless: true, fastTimers: true });

      await waitFor(() => !ports.okta.memberLogins(AWS).includes('alice@example.com'), 'the revoke after the server restart', 60_000);
      const final = await wf.result();
      expect(final.status).toBe('expired');
      expect(final.approvals).toEqual([]);
    } finally {
      worker.shutdown();
      await running.catch(() => undefined);
      await h.close();
      await server.stop();
    }
  });
});
