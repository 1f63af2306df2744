/**
 * Logins of temporary accounts (SPEC §11): names lower-cased and transliterated to ASCII, put into
 * the policy's pattern and domain, and suffixed 2, 3… past the logins already taken.
 *
 * Transliteration is Unicode NFD (which splits é into e + a combining accent, then the marks are
 * dropped) plus a small table for the Latin letters NFD does not split (ß, æ, œ, ø, ł…). That
 * covers names written in Latin script, which is what Okta logins are; a name with no Latin letter
 * at all is refused, so the manager types its Latin spelling. No dependency needed.
 */

const LETTERS: Record<string, string> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', đ: 'd', ð: 'd', þ: 'th', ł: 'l', ı: 'i', ŋ: 'n', ħ: 'h', ŧ: 't', ſ: 's', ĳ: 'ij' };

/** "Lefèvre-Dupont" → "lefevre-dupont", "van der Berg" → "van-der-berg", "O'Brien" → "obrien". */
export function asciiName(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[^ -~]/g, (ch) => LETTERS[ch] ?? '')
    .replace(/['’`.]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** Okta's limit on a login (the user schema's maxLength). */
export const MAX_LOGIN_LENGTH = 100;

/** The local part before any suffix: the pattern with {first} and {last} filled in; null when a name has no Latin letter. */
export function loginBase(pattern: string, firstName: string, lastName: string): string | null {
  const first = asciiName(firstName);
  const last = asciiName(lastName);
  if (!first || !last) return null;
  return pattern.replaceAll('{first}', first).replaceAll('{last}', last);
}

/** `base@domain`, then `base2@domain`, `base3@domain`…: the first one not in `taken` (lower-case logins). */
export function firstFreeLogin(base: string, domain: string, taken: ReadonlySet<string>): string {
  for (let n = 1; ; n++) {
    const login = `${base}${n === 1 ? '' : n}@${domain}`;
    if (!taken.has(login)) return login;
  }
}
