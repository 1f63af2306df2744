import { SettingsError } from '../activities/settings';

/** Runs a one-shot CLI: a clear one-line error and exit code 1 on failure (Okta's own summary when it has one). */
export function runScript(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    const okta = err as { errorSummary?: string; errorCauses?: Array<{ errorSummary?: string }>; status?: number };
    if (err instanceof SettingsError) console.error(err.message);
    else if (okta?.errorSummary) console.error(`Okta ${okta.status ?? ''} ${okta.errorSummary}${okta.errorCauses?.length ? `: ${okta.errorCauses.map((c) => c.errorSummary).join('; ')}` : ''}`);
    else console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  });
}
