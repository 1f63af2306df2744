/**
 * The worker process (`npm run worker`): settings → policy → ports → one Temporal worker on the
 * `gatehouse` task queue running every workflow and activity. Stateless: run as many as needed.
 * SIGINT/SIGTERM drain in-flight tasks before exit (the SDK Runtime handles the signals).
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { riskWorkflowsFromTemporal } from '../activities/risk';
import { PolicyError } from '../activities/policy/load';
import { loadSettings, SettingsError } from '../activities/settings';
import { createLogger, installRuntimeLogger } from './logger';
import { prepareOperations } from './operations';
import { watchPolicy } from '../activities/policy/source';
import { buildPorts } from './ports';
import { connectionOptions } from './temporal-connection';
import { workerTuning } from './tuning';
import { defaultBundlePath, workflowCode } from './workflow-code';

/** Resolves with the exit code: 0 after a requested drain, 1 when the worker stopped on its own. */
async function main(): Promise<number> {
  const settings = loadSettings();
  const logger = createLogger('worker', settings.LOG_LEVEL);
  const policy = watchPolicy(settings.GATEHOUSE_POLICY, logger);
  const ports = buildPorts(settings, logger);
  // Audit store migrations, reconcile activities, interceptor, metrics (workers/operations.ts).
  const ops = await prepareOperations(settings, logger, ports, policy);
  installRuntimeLogger(logger, settings.LOG_LEVEL, ops.telemetryOptions);

  // Compiled (dist/): the bundle `npm run build` wrote; from the sources: bundled at start-up.
  const workflowBundle = process.env.GATEHOUSE_WORKFLOW_BUNDLE || defaultBundlePath();
  const connection = await NativeConnection.connect(connectionOptions(settings));
  try {
    const worker = await Worker.create({
      connection,
      namespace: settings.TEMPORAL_NAMESPACE,
      taskQueue: settings.GATEHOUSE_TASK_QUEUE,
      ...workflowCode(workflowBundle),
      activities: {
        ...createActivities({ ...ports, policy, securityChannel: settings.GATEHOUSE_SECURITY_CHANNEL, onAudit: ops.onAudit, oktaSignInUrl: settings.OKTA_ORG_URL, workflows: riskWorkflowsFromTemporal(ops.client, settings.GATEHOUSE_TASK_QUEUE) }),
        ...ops.activities,
      },
      interceptors: ops.interceptors,
      shutdownGraceTime: '10 seconds',
      // A drain that cannot finish (an activation Core refuses to complete) must not hang forever.
      shutdownForceTime: settings.GATEHOUSE_WORKER_SHUTDOWN_FORCE_MS,
      ...workerTuning(settings),
    });
    logger.info({ taskQueue: settings.GATEHOUSE_TASK_QUEUE, namespace: settings.TEMPORAL_NAMESPACE, address: settings.TEMPORAL_ADDRESS, workflowBundle: workflowBundle ?? null }, 'worker started');
    await ops.start();
    // Its own logger: the stats line is printed whatever LOG_LEVEL says.
    const statsLogger = createLogger('worker', 'info');
    const stats = settings.GATEHOUSE_WORKER_STATS_MS > 0 ? setInterval(() => logStats(worker, statsLogger), settings.GATEHOUSE_WORKER_STATS_MS) : undefined;
    stats?.unref();
    // The SDK drains on SIGINT/SIGTERM; run() also ends when the worker fails on its own.
    let drainRequested = false;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => (drainRequested = true));
    try {
      await worker.run();
    } catch (err) {
      logger.fatal({ err, state: worker.getState() }, 'the worker stopped unexpectedly; exiting so a supervisor restarts it');
      return 1;
    } finally {
      if (stats) clearInterval(stats);
    }
    if (!drainRequested) {
      logger.fatal({ state: worker.getState() }, 'the worker stopped without being asked to; exiting so a supervisor restarts it');
      return 1;
    }
    logger.info('worker stopped');
    return 0;
  } finally {
    await connection.close().catch(() => undefined);
    await ops.close();
  }
}


/** One `worker stats` log line: process memory (RSS covers the workflow isolates' heaps too) and the worker's own counters. */
function logStats(worker: Worker, logger: ReturnType<typeof createLogger>): void {
  const memory = process.memoryUsage();
  const status = worker.getStatus();
  logger.info(
    {
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      heapTotal: memory.heapTotal,
      external: memory.external,
      cachedWorkflows: status.numCachedWorkflows,
      inFlightActivations: status.numInFlightWorkflowActivations,
      inFlightActivities: status.numInFlightActivities,
    },
    'worker stats',
  );
}

main().then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof SettingsError || err instanceof PolicyError) console.error(err.message);
    else console.error(err);
    process.exit(1);
  },
);
