/**
 * The bare comparison worker (a process of its own, like Gatehouse's): the bare workflow and its
 * two Okta activities on BARE_TASK_QUEUE, with the Gatehouse worker's tuning (the same
 * GATEHOUSE_* variables and defaults). Env: TEMPORAL_ADDRESS, BARE_TASK_QUEUE, OKTA_ORG_URL,
 * OKTA_API_TOKEN, BARE_WORKFLOW_BUNDLE (a prebuilt bundle; else bundled at start).
 */
import { NativeConnection, Runtime, DefaultLogger, Worker } from '@temporalio/worker';
import { createOktaAdapter } from '../../activities/adapters';
import { tuningFromEnv } from '../../workers/tuning';
import { createBareActivities } from './activities';

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
  const okta = createOktaAdapter({ orgUrl: process.env.OKTA_ORG_URL!, token: process.env.OKTA_API_TOKEN ?? 'bench' });
  const worker = await Worker.create({
    connection,
    taskQueue: process.env.BARE_TASK_QUEUE ?? 'bench-bare',
    ...(process.env.BARE_WORKFLOW_BUNDLE
      ? { workflowBundle: { codePath: process.env.BARE_WORKFLOW_BUNDLE } }
      : { workflowsPath: require.resolve('./workflow') }),
    activities: createBareActivities(okta),
    shutdownGraceTime: '5 seconds',
    ...tuningFromEnv(),
  });
  console.log('bare worker started');
  const every = Number(process.env.GATEHOUSE_WORKER_STATS_MS ?? 0);
  const stats = every > 0
    ? setInterval(() => {
        const m = process.memoryUsage();
        console.log(JSON.stringify({ msg: 'worker stats', rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, cachedWorkflows: worker.getStatus().numCachedWorkflows }));
      }, every)
    : undefined;
  stats?.unref();
  await worker.run();
  await connection.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
