/**
 * Jest global setup: one Temporal dev server (fast timers, in memory) and one workflow bundle for
 * the whole run. Tests read TEMPORAL_ADDRESS and GATEHOUSE_TEST_BUNDLE from the environment.
 * GATEHOUSE_TEST_NO_TEMPORAL=1 skips both (for emulator/adapter-only runs).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { bundleOptions } from '../../workers/workflow-code';
import { findTemporalCli } from '../../scripts/temporal-cli';
import { startDevServer, type DevServer } from '../../scripts/temporal-server';

declare global {
  var __gatehouseTemporal: DevServer | undefined;
}

export default async function globalSetup(): Promise<void> {
  if (process.env.GATEHOUSE_TEST_NO_TEMPORAL === '1') return;
  const cli = await findTemporalCli();
  process.env.TEMPORAL_CLI_PATH = cli;
  const [server, bundle] = await Promise.all([
    startDevServer({ cliPath: cli, headless: true, fastTimers: true }),
    bundleWorkflowCode({ ...bundleOptions(), logger: quietLogger }),
  ]);
  globalThis.__gatehouseTemporal = server;
  const dir = join(__dirname, '../../.data/test');
  mkdirSync(dir, { recursive: true });
  const bundlePath = join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  process.env.TEMPORAL_ADDRESS = server.address;
  process.env.GATEHOUSE_TEST_BUNDLE = bundlePath;
}

const noop = () => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: (m: string) => console.error(m), log: noop };
