/**
 * Policy durations: "90s", "15m", "2h", "1d", compounds like "1h30m", or ISO 8601 ("PT2H",
 * "P1DT12H"). Returns milliseconds (0 for "0s"), or null when the text is not a duration.
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function parseDuration(text: string): number | null {
  const s = text.trim();
  if (/^(\d+(ms|s|m|h|d|w))+$/i.test(s)) {
    let total = 0;
    for (const [, n, unit] of s.matchAll(/(\d+)(ms|s|m|h|d|w)/gi)) total += Number(n) * UNIT_MS[unit!.toLowerCase()]!;
    return total;
  }
  const iso = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(s);
  if (iso && s.length > 1 && !/T$/i.test(s)) {
    const [, w, d, h, m, sec] = iso;
    const total =
      Number(w ?? 0) * UNIT_MS.w! + Number(d ?? 0) * UNIT_MS.d! + Number(h ?? 0) * UNIT_MS.h! + Number(m ?? 0) * UNIT_MS.m! + Math.round(Number(sec ?? 0) * 1000);
    return total;
  }
  return null;
}
