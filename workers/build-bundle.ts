/** Writes the production workflow bundle (workers read it with GATEHOUSE_WORKFLOW_BUNDLE). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { bundleOptions } from './workflow-code';

bundleWorkflowCode(bundleOptions()).then(({ code }) => {
  const out = join(__dirname, '..', 'workflow-bundle.js');
  writeFileSync(out, code);
  console.log(`wrote ${out}`);
});
