/**
 * The second half of `npm run build`, run with node from dist/ after tsc: bundles the compiled
 * workflows with the failure converter into dist/workflow-bundle.js, which the compiled worker
 * loads at start-up (workers/workflow-code.ts), so production never runs webpack.
 */
import { writeFileSync } from 'node:fs';
import { bundleWorkflowCode } from '@temporalio/worker';
import { BUILT_BUNDLE_PATH, bundleOptions } from './workflow-code';

bundleWorkflowCode(bundleOptions()).then(
  ({ code }) => {
    writeFileSync(BUILT_BUNDLE_PATH, code);
    console.log(`wrote ${BUILT_BUNDLE_PATH}`);
  },
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
