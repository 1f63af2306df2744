/**
 * The Temporal server, its SQL schema tool and the Web UI server for `npm run cluster`: built once
 * with `go install` (the versions the temporal CLI v1.5.1 embeds) and cached next to the CLI as
 * ~/.cache/gatehouse/bin/temporal-server-1.29.1, temporal-sql-tool-1.29.1 and temporal-ui-2.42.1.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, findGo, goInstall } from '../temporal-cli';

export const TEMPORAL_SERVER_VERSION = '1.29.1';
export const TEMPORAL_UI_VERSION = '2.42.1';

type Log = (line: string) => void;

export interface ClusterBinaries {
  server: string;
  sqlTool: string;
  /** Absent when the UI was not asked for. */
  ui?: string;
}

/** Whether the binaries can be found or built here (the cluster test skips without them). */
export function clusterBinariesAvailable(withUi = false): boolean {
  const { server, sqlTool, ui } = cachedPaths();
  return !!findGo() || (existsSync(server) && existsSync(sqlTool) && (!withUi || existsSync(ui)));
}

function cachedPaths() {
  const bin = join(cacheDir(), 'bin');
  return {
    server: join(bin, `temporal-server-${TEMPORAL_SERVER_VERSION}`),
    sqlTool: join(bin, `temporal-sql-tool-${TEMPORAL_SERVER_VERSION}`),
    ui: join(bin, `temporal-ui-${TEMPORAL_UI_VERSION}`),
  };
}

const runs = (path: string, args: string[]) => existsSync(path) && spawnSync(path, args, { timeout: 20_000 }).status === 0;

export async function findClusterBinaries(opts: { ui?: boolean; log: Log }): Promise<ClusterBinaries> {
  const paths = cachedPaths();
  const go = findGo();
  const build = async (what: string, packages: string[], tags: string[], into: Record<string, string>) => {
    if (!go) throw new Error(`${what} is not in ${join(cacheDir(), 'bin')} and there is no Go toolchain to build it (install Go 1.25+)`);
    // Every package builds a binary named after its directory (`server`, `sql`): a private GOBIN, then renamed.
    const gobin = join(cacheDir(), 'build', `gobin-${process.pid}`);
    rmSync(gobin, { recursive: true, force: true });
    try {
      await goInstall({ go, packages, gobin, args: tags.length ? ['-tags', tags.join(',')] : [], what, log: opts.log });
      for (const [built, target] of Object.entries(into)) renameSync(join(gobin, built), target);
    } finally {
      rmSync(gobin, { recursive: true, force: true });
    }
  };
  if (!runs(paths.server, ['--version']) || !runs(paths.sqlTool, ['--version'])) {
    // The tag the server's Makefile builds with: leaves out gRPC modules a server does not need.
    await build(
      `Temporal Server ${TEMPORAL_SERVER_VERSION} and its SQL tool`,
      [`go.temporal.io/server/cmd/server@v${TEMPORAL_SERVER_VERSION}`, `go.temporal.io/server/cmd/tools/sql@v${TEMPORAL_SERVER_VERSION}`],
      ['disable_grpc_modules'],
      { server: paths.server, sql: paths.sqlTool },
    );
  }
  if (opts.ui && !existsSync(paths.ui)) {
    await build(`Temporal Web UI ${TEMPORAL_UI_VERSION}`, [`github.com/temporalio/ui-server/v2/cmd/server@v${TEMPORAL_UI_VERSION}`], [], { server: paths.ui });
  }
  return { server: paths.server, sqlTool: paths.sqlTool, ui: opts.ui ? paths.ui : undefined };
}

if (require.main === module) {
  const started = Date.now();
  findClusterBinaries({ ui: process.argv.includes('--ui'), log: (l) => console.log(l) }).then(
    (b) => console.log(`${JSON.stringify(b, null, 2)}\n(${Math.round((Date.now() - started) / 1000)} s)`),
    (err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
