/**
 * What the worker process adds around the Temporal worker for operations: the audit store's
 * migrations, the drift reconciliation (activities + schedule), the activity interceptor, and the
 * Prometheus endpoint (Gatehouse's series + the SDK runtime's).
 */
import { Client, Connection } from '@temporalio/client';
import type { RuntimeOptions, WorkerOptions } from '@temporalio/worker';
import type pino from 'pino';
import { createReconcileActivities, workflowStatusFromTemporal, type ReconcileActivities } from '../activities/audit/reconcile';
import { describeAuditStore, type AuditStore } from '../activities/audit/store';
import type { Policy } from '../activities/policy/schema';
import type { AuditEvent, Ports } from '../activities/ports';
import type { Settings } from '../activities/settings';
import { GRANT_STATUSES, requestQuery } from '../workflows/shared/visibility';
import { activityInterceptor } from './activity-interceptor';
import { createWorkerMetrics, freeLoopbackPort, serveWorkerMetrics } from './metrics';
import { ensureReconcileSchedule } from './reconcile-schedule';
import { connectionOptions } from './temporal-connection';

export interface Operations {
  /** The worker's Temporal client (risk response signals and lists workflows through it). */
  client: Client;
  /** For Runtime.install (the SDK's Prometheus exporter), when worker metrics are on. */
  telemetryOptions?: RuntimeOptions['telemetryOptions'];
  activities: ReconcileActivities;
  /** Told of every audit event the activities write: the lifecycle metrics come from them. */
  onAudit: (event: AuditEvent) => void;
  interceptors: WorkerOptions['interceptors'];
  /** Once the worker exists: the metrics endpoint and the reconcile schedule. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function prepareOperations(settings: Settings, logger: pino.Logger, ports: Ports & { audit: AuditStore }, policy: () => Policy): Promise<Operations> {
  await ports.audit.migrate();
  logger.info({ auditStore: describeAuditStore(settings) }, 'audit store ready');

  const connection = await Connection.connect(connectionOptions(settings));
  const client = new Client({ connection, namespace: settings.TEMPORAL_NAMESPACE });

  let cached: { at: number; value: Record<string, number> } | undefined;
  const metrics = createWorkerMetrics({
    // One visibility count per resource, at most every 10 s however often Prometheus scrapes.
    activeGrants: async () => {
      if (cached && Date.now() - cached.at < 10_000) return cached.value;
      const value: Record<string, number> = {};
      for (const resource of Object.keys(policy().resources)) {
        const query = requestQuery({ resource, statuses: GRANT_STATUSES, running: true });
        value[resource] = (await client.workflow.count(query)).count;
      }
      cached = { at: Date.now(), value };
      return value;
    },
  });
  const metricsOn = settings.GATEHOUSE_WORKER_METRICS_PORT !== undefined;
  const sdkPort = metricsOn ? await freeLoopbackPort() : undefined;
  let server: Awaited<ReturnType<typeof serveWorkerMetrics>>['server'] | undefined;

  return {
    client,
    ...(sdkPort ? { telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${sdkPort}` } } } } : {}),
    activities: createReconcileActivities({ okta: ports.okta, store: ports.audit, policy, workflowStatus: workflowStatusFromTemporal(client) }),
    onAudit: (event) => metrics.auditEventRecorded(event),
    interceptors: { activity: [activityInterceptor({ audit: ports.audit, metrics, logger })] },
    async start() {
      if (metricsOn) {
        const served = await serveWorkerMetrics(metrics, settings.GATEHOUSE_WORKER_METRICS_PORT!, `http://127.0.0.1:${sdkPort}/metrics`);
        server = served.server;
        logger.info({ url: `http://127.0.0.1:${served.port}/metrics` }, 'worker metrics listening');
      }
      if (settings.GATEHOUSE_RECONCILE_EVERY) {
        const outcome = await ensureReconcileSchedule(client, { taskQueue: settings.GATEHOUSE_TASK_QUEUE, everyMs: settings.GATEHOUSE_RECONCILE_EVERY });
        logger.info({ scheduleId: 'gatehouse-reconcile', everyMs: settings.GATEHOUSE_RECONCILE_EVERY, outcome }, 'reconcile schedule ready');
      }
    },
    async close() {
      server?.close();
      await connection.close().catch(() => undefined);
      await ports.audit.close().catch(() => undefined);
    },
  };
}
