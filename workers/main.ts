/**
 * The worker process (`npm run worker`): settings → policy → ports → one Temporal worker on the
 * `gatehouse` task queue running every workflow and activity. Stateless: run as many as needed.
 * SIGINT/SIGTERM drain in-flight tasks before exit (the SDK Runtime handles the signals).
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { PolicyError } from '../activities/policy/load';
import { loadSettings, SettingsError } from '../activities/settings';
import { createLogger, installRuntimeLogger } from './logger';
import { watchPolicy } from './policy-source';
import { buildPorts } from './ports';
import { connectionOptions } from './temporal-connection';

async function main(): Promise<void> {
  const settings = loadSettings();
  const logger = createLogger('worker', settings.LOG_LEVEL);
  const policy = watchPolicy(settings.GATEHOUSE_POLICY, logger);
  const ports = buildPorts(settings, logger);
  installRuntimeLogger(logger, settings.LOG_LEVEL);

  const connection = await NativeConnection.connect(connectionOptions(settings));
  try {
    const worker = await Worker.create({
      connection,
      namespace: settings.TEMPORAL_NAMESPACE,
      taskQueue: settings.GATEHOUSE_TASK_QUEUE,
      ...(process.env.GATEHOUSE_WORKFLOW_BUNDLE
        ? { workflowBundle: { codePath: process.env.GATEHOUSE_WORKFLOW_BUNDLE } }
        : { workflowsPath: require.resolve('../workflows') }),
      activities: createActivities({ ...ports, policy }),
      shutdownGraceTime: '10 seconds',
    });
    logger.info({ taskQueue: settings.GATEHOUSE_TASK_QUEUE, namespace: settings.TEMPORAL_NAMESPACE, address: settings.TEMPORAL_ADDRESS }, 'worker started');
    await worker.run();
    logger.info('worker stopped');
  } finally {
    await connection.close();
  }
}

main().catch((err) => {
  if (err instanceof SettingsError || err instanceof PolicyError) console.error(err.message);
  else console.error(err);
  process.exit(1);
});
