import type { Settings } from '../activities/settings';

/** Connection options shared by the worker and the API (API key / TLS for Temporal Cloud). */
export function connectionOptions(s: Settings) {
  return {
    address: s.TEMPORAL_ADDRESS,
    ...(s.TEMPORAL_API_KEY ? { apiKey: s.TEMPORAL_API_KEY, tls: true } : s.TEMPORAL_TLS ? { tls: true } : {}),
  };
}
