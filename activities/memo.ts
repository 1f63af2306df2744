/**
 * A small time-bounded memo for directory lookups (Okta users, Slack ids, DM channels): a burst of
 * calls for the same key costs one lookup, and an answer is forgotten after its time to live so a
 * change at the vendor is seen within that time. A failed lookup is never remembered (the next call
 * asks again), and the oldest entries go first past `max` keys.
 */
export interface MemoOptions<V> {
  ttlMs: number;
  /** A different time to live for some answers (e.g. a shorter one for "not found"). */
  ttlFor?: (value: V) => number;
  max?: number;
  now?: () => number;
}

export function memoize<V>(load: (key: string) => Promise<V>, opts: MemoOptions<V>): (key: string) => Promise<V> {
  const now = opts.now ?? Date.now;
  const max = opts.max ?? 10_000;
  const entries = new Map<string, { until: number; value: Promise<V> }>();
  return (key) => {
    const hit = entries.get(key);
    if (hit && now() < hit.until) return hit.value;
    entries.delete(key);
    const value = load(key);
    const entry = { until: now() + opts.ttlMs, value };
    entries.set(key, entry);
    value.then(
      (v) => {
        if (opts.ttlFor) entry.until = Math.min(entry.until, now() + opts.ttlFor(v));
      },
      () => {
        if (entries.get(key) === entry) entries.delete(key);
      },
    );
    if (entries.size > max) entries.delete(entries.keys().next().value!);
    return value;
  };
}
