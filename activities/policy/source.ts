import { statSync } from 'node:fs';
import type pino from 'pino';
import { loadPolicy, PolicyError } from './load';
import type { Policy } from './schema';

/**
 * The policy as the file says now: re-read when the file changes, so an edit applies to new
 * requests without a restart. A broken edit is logged and the last good policy stays in force.
 * (Running requests keep the snapshot they resolved with.)
 */
export function watchPolicy(file: string, logger: pino.Logger): () => Policy {
  let policy = loadPolicy(file); // a bad file at start-up throws: the process must not start
  let mtime = statSync(file).mtimeMs;
  return () => {
    try {
      const now = statSync(file).mtimeMs;
      if (now !== mtime) {
        mtime = now;
        policy = loadPolicy(file);
        logger.info({ file }, 'policy reloaded');
      }
    } catch (err) {
      logger.error({ file, problems: err instanceof PolicyError ? err.problems : String(err) }, 'policy edit rejected; keeping the last valid policy');
    }
    return policy;
  };
}
