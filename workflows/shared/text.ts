/**
 * Text that reaches Temporal must be well-formed Unicode. Protobuf `string` fields are UTF-8, so
 * a lone UTF-16 surrogate in a failure message makes the worker's Core refuse the whole workflow
 * activation and shut the worker down; an Update carrying it is then re-delivered to every
 * replacement worker (a poison pill). JSON payloads escape such strings and are harmless: only
 * text that may end up in a Failure (validator and handler errors) must be checked.
 */

/** True when every string inside `value` (object keys included) is well-formed Unicode. */
export function allWellFormed(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.isWellFormed();
  if (depth > 20 || value === null || typeof value !== 'object') return true;
  if (Array.isArray(value)) return value.every((v) => allWellFormed(v, depth + 1));
  return Object.entries(value).every(([k, v]) => k.isWellFormed() && allWellFormed(v, depth + 1));
}

/** `text` with every lone surrogate replaced by U+FFFD: safe to put into any message. */
export const wellFormed = (text: string): string => text.toWellFormed();
