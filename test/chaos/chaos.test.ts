/**
 * The small chaos run of `npm test` (issue 6): ~40 lifecycles through the HTTP API, one worker
 * process SIGKILLed and replaced, one burst of Okta 5xx; then every invariant of `npm run chaos`.
 * Runs on the shared test server (no server restart here: `npm run chaos` does that).
 */
import { formatReport, runChaos } from '../../scripts/chaos/run';

jest.setTimeout(180_000);

it('keeps every invariant through a worker SIGKILL and an Okta fault burst', async () => {
  const lines: string[] = [];
  const report = await runChaos({
    lifecycles: 40,
    spanS: 20,
    grantMs: [2000, 4000],
    killEveryS: [8, 12],
    maxKills: 1,
    serverRestart: false,
    faults: 'burst',
    reuse: process.env.TEMPORAL_ADDRESS,
    gatehouseBundle: process.env.GATEHOUSE_TEST_BUNDLE,
    settleTimeoutS: 120,
    log: (line) => lines.push(line),
  });
  const text = formatReport(report);
  if (!report.ok) console.log(`${text}\n\n${lines.join('\n')}`);
  expect(report.kills).toBe(1);
  expect(report.checks.flatMap((c) => c.violations)).toEqual([]);
  expect(report.ok).toBe(true);
});
