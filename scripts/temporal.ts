/**
 * `npm run temporal`: the Temporal dev server on 127.0.0.1:7233 with its Web UI on :8233, a SQLite
 * file under .data/ (so requests survive restarts) and Gatehouse's search attributes.
 */
import { join } from 'node:path';
import { startDevServer } from './temporal-server';

async function main() {
  const port = Number(process.env.TEMPORAL_PORT ?? 7233);
  const dbFile = process.env.TEMPORAL_DB_FILE ?? join(process.cwd(), '.data', 'temporal.sqlite');
  const server = await startDevServer({
    port,
    uiPort: Number(process.env.TEMPORAL_UI_PORT ?? port + 1000),
    dbFile,
    retentionDays: 30,
    logLevel: 'warn',
    onOutput: (line) => console.log(line),
  });
  console.log(`Temporal dev server ready at ${server.address} (SQLite ${dbFile})`);
  console.log(`Web UI: ${server.uiUrl}`);
  const stop = async () => {
    await server.stop();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  server.process.once('exit', (code) => {
    console.error(`temporal dev server exited (${code})`);
    process.exit(code ?? 1);
  });
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
