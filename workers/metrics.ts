/**
 * The worker's Prometheus metrics: Gatehouse's own series (prom-client), derived from the audit
 * events and activity outcomes the activity interceptor sees, served on
 * GATEHOUSE_WORKER_METRICS_PORT together with the Temporal SDK's runtime metrics (the Runtime
 * exports those on a private loopback port; /metrics appends them).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AuditEvent } from '../activities/ports';

const ENDINGS = new Set(['expired', 'revoked', 'denied', 'cancelled', 'approval_timed_out', 'failed']);
const LATENCY_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900];
const WAIT_BUCKETS = [5, 30, 60, 300, 900, 1800, 3600, 7200, 14_400, 43_200, 86_400];

const seconds = (from: string, to: string) => Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);

export interface WorkerMetricsOptions {
  /** Active grants per resource (visibility), read at scrape time. */
  activeGrants?: () => Promise<Record<string, number>>;
}

export function createWorkerMetrics(options: WorkerMetricsOptions = {}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'gatehouse_worker_' });
  const registers = [registry];
  const requests = new Counter({ name: 'gatehouse_requests_total', help: 'Access requests that ended, by outcome', labelNames: ['outcome', 'resource'], registers });
  new Gauge({
    name: 'gatehouse_active_grants',
    help: 'Access requests provisioning, active or revoking (Temporal visibility), by resource',
    labelNames: ['resource'],
    registers,
    async collect() {
      if (!options.activeGrants) return;
      this.reset();
      for (const [resource, count] of Object.entries(await options.activeGrants())) this.set({ resource }, count);
    },
  });
  const approvalWait = new Histogram({
    name: 'gatehouse_approval_wait_seconds',
    help: 'From submission to each human approval or denial',
    labelNames: ['decision'],
    buckets: WAIT_BUCKETS,
    registers,
  });
  const grantLatency = new Histogram({ name: 'gatehouse_grant_latency_seconds', help: 'From the final approval to the Okta membership', buckets: LATENCY_BUCKETS, registers });
  const revokeLag = new Histogram({ name: 'gatehouse_revoke_lag_seconds', help: 'From the expiry time to the membership removed', buckets: LATENCY_BUCKETS, registers });
  const retries = new Counter({ name: 'gatehouse_external_call_retries_total', help: 'Failed Okta/Slack/Jira calls that Temporal retries', labelNames: ['system', 'activity'], registers });
  const activities = new Histogram({
    name: 'gatehouse_activity_duration_seconds',
    help: 'Activity attempts by type and outcome',
    labelNames: ['activity', 'outcome'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const drift = new Counter({ name: 'gatehouse_drift_members_total', help: 'Unexplained members found by reconciliation', labelNames: ['group', 'action'], registers });

  return {
    registry,
    activityAttempt(activity: string, outcome: 'completed' | 'failed', durationSeconds: number) {
      activities.observe({ activity, outcome }, durationSeconds);
    },
    externalCallRetried(system: string, activity: string) {
      retries.inc({ system, activity });
    },
    /**
     * Derives the lifecycle series from an audit event as it is written: the times it is measured
     * from travel in its details (`requestedAt`, `approvedAt`, `expiresAt`), since the events of
     * one transition are written together, not one after the other.
     */
    auditEventRecorded(event: AuditEvent) {
      if (ENDINGS.has(event.type)) requests.inc({ outcome: event.type, resource: event.resource });
      if (event.type === 'drift_detected') drift.inc({ group: String(event.details?.groupId ?? ''), action: String(event.details?.action ?? 'report') });
      const from = (key: string) => (typeof event.details?.[key] === 'string' ? (event.details[key] as string) : undefined);
      const human = (event.type === 'approved' || event.type === 'denied') && event.details?.auto !== true;
      if (human && from('requestedAt')) approvalWait.observe({ decision: event.type }, seconds(from('requestedAt')!, event.at));
      else if (event.type === 'granted' && from('approvedAt')) grantLatency.observe(seconds(from('approvedAt')!, event.at));
      else if (event.type === 'expired' && from('expiresAt')) revokeLag.observe(seconds(from('expiresAt')!, event.at));
    },
  };
}
export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;

/**
 * Serves GET /metrics: Gatehouse's registry, then the SDK's exposition (from `sdkMetricsUrl`).
 * Resolves once listening, with the actual port.
 */
export function serveWorkerMetrics(metrics: WorkerMetrics, port: number, sdkMetricsUrl?: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    void (async () => {
      let body = await metrics.registry.metrics();
      if (sdkMetricsUrl) {
        try {
          body += `\n${await (await fetch(sdkMetricsUrl, { signal: AbortSignal.timeout(2000) })).text()}`;
        } catch {
          body += '\n# Temporal SDK metrics unavailable\n';
        }
      }
      res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body);
    })().catch((err: unknown) => res.writeHead(500).end(String(err)));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => resolve({ server, port: (server.address() as AddressInfo).port }));
  });
}

/** A free loopback port for the SDK's own Prometheus exporter (the Runtime needs one up front). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
