/**
 * Where a worker gets its workflow code and converters: one place for the worker process, the
 * production bundle, the tests' bundle and the benchmark's, so they never disagree. The failure
 * converter is part of the bundle (workflow side) and of the worker's data converter (activities).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BundleOptions } from '@temporalio/worker';
import type { WorkerOptions } from '@temporalio/worker';

export const WORKFLOWS_PATH = require.resolve('../workflows');
export const FAILURE_CONVERTER_PATH = require.resolve('../workflows/shared/failure-converter');

/** Where `npm run build` writes the bundle: dist/workflow-bundle.js, next to the compiled worker. */
export const BUILT_BUNDLE_PATH = join(__dirname, '..', 'workflow-bundle.js');

/**
 * The bundle a worker uses when none is named: the built one when this file runs compiled (dist/),
 * none from the sources (the worker bundles them at start-up, as `npm run worker` and dev do).
 */
export function defaultBundlePath(): string | undefined {
  if (!__filename.endsWith('.js')) return undefined;
  if (!existsSync(BUILT_BUNDLE_PATH)) throw new Error(`${BUILT_BUNDLE_PATH} is missing: \`npm run build\` writes it`);
  return BUILT_BUNDLE_PATH;
}

/** For bundleWorkflowCode(). */
export const bundleOptions = (): Pick<BundleOptions, 'workflowsPath' | 'failureConverterPath'> => ({
  workflowsPath: WORKFLOWS_PATH,
  failureConverterPath: FAILURE_CONVERTER_PATH,
});

/** For Worker.create(): a pre-built bundle when given (production, tests), else the sources. */
export function workflowCode(bundlePath?: string): Pick<WorkerOptions, 'workflowsPath' | 'workflowBundle' | 'dataConverter'> {
  return {
    ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : { workflowsPath: WORKFLOWS_PATH }),
    dataConverter: { failureConverterPath: FAILURE_CONVERTER_PATH },
  };
}
