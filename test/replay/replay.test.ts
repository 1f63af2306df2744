/**
 * Determinism gate: every committed history (one per workflow path, captured with
 * `npm run capture-histories`) must replay on the current workflow code. A failure here means a
 * change would break running requests: guard it with patched() instead of re-capturing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { workflowCode } from '../../workers/workflow-code';
import { quietRuntime } from '../helpers/temporal';

const dir = join(__dirname, 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('replay of committed histories', () => {
  it('has a history for every path of the access-request workflow', () => {
    expect(files.length).toBeGreaterThanOrEqual(13);
  });

  it('replays every history without a non-determinism error', async () => {
    quietRuntime();
    const histories = files.map((f) => ({ workflowId: f.replace(/\.json$/, ''), history: historyFromJSON(JSON.parse(readFileSync(join(dir, f), 'utf8'))) }));
    const bundlePath = process.env.GATEHOUSE_TEST_BUNDLE;
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories(workflowCode(bundlePath), histories)) {
      replayed++;
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(files.length);
  });
});
