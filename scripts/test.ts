/**
 * `npm test`: makes sure the temporal CLI is there (building it once if needed, with progress),
 * then runs every jest suite in band. The jest global setup starts the dev server.
 */
import { spawn } from 'node:child_process';
import { findTemporalCli } from './temporal-cli';

async function main() {
  const cli = await findTemporalCli((line) => console.log(line));
  const jest = require.resolve('jest/bin/jest');
  const child = spawn(process.execPath, [jest, '--runInBand', ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, TEMPORAL_CLI_PATH: cli },
  });
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
