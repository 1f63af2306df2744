/**
 * Where a worker gets its workflow code and converters: one place for the worker process, the
 * production bundle, the tests' bundle and the benchmark's, so they never disagree. The failure
 * converter is part of the bundle (workflow side) and of the worker's data converter (activities).
 */
import type { BundleOptions } from '@temporalio/worker';
import type { WorkerOptions } from '@temporalio/worker';

export const WORKFLOWS_PATH = require.resolve('../workflows');
export const FAILURE_CONVERTER_PATH = require.resolve('../workflows/shared/failure-converter');

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
