// Where the app may send a browser after sign-in: a path on this origin, never
// another site. Browsers and servers disagree about odd URLs (`/\host` is
// `//host` to a browser, tabs and newlines are dropped, `%5C` may be decoded by
// one layer and not the next), so a value is accepted only if it is plainly a
// path in every reading: no backslash, control character or whitespace in it,
// nor in the path part of any percent-decoded form of it (an encoded space in
// a query is fine), and still on our origin after WHATWG URL parsing (what the
// browser does with a Location header).

/** A stand-in origin: a value that parses to any other origin leaves the site. */
const SENTINEL = 'http://same-origin.invalid';
/** `\`, C0 controls, DEL and whitespace (incl. the non-ASCII ones String.trim knows). */
const UNSAFE = /[\\\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/;
const MAX_LENGTH = 2048;
const MAX_DECODE_ROUNDS = 4;

/** Every percent-decoded reading of `value` (one per round until stable), or null if one is malformed. */
function decodings(value: string): string[] | null {
  const seen = [value];
  let current = value;
  for (let round = 0; round < MAX_DECODE_ROUNDS; round++) {
    let next: string;
    try {
      next = decodeURIComponent(current);
    } catch {
      return null;
    }
    if (next === current) return seen;
    seen.push(next);
    current = next;
  }
  // Still changing after several rounds: nobody writes a path like that.
  return null;
}

/**
 * The same-origin path `value` names (pathname + query + fragment, as the URL
 * parser normalizes them), or null when it is anything else: absolute or
 * protocol-relative URLs (`https://h`, `//h`), other schemes (`javascript:`),
 * `/\h`, `/%5Ch`, `/%09/h`, paths that normalize to `//h` (`/.//h`), and
 * encoded or mixed forms of these. Use it on every `next`/`redirect_to` style
 * parameter before redirecting.
 */
export function safeRedirectPath(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_LENGTH) return null;
  const readings = decodings(value);
  if (!readings) return null;
  if (UNSAFE.test(value)) return null;
  for (const reading of readings) {
    if (!reading.startsWith('/') || reading.startsWith('//')) return null;
    if (UNSAFE.test(reading.split(/[?#]/, 1)[0])) return null;
  }
  let url: URL;
  try {
    url = new URL(value, SENTINEL);
  } catch {
    return null;
  }
  if (url.origin !== SENTINEL) return null;
  const path = `${url.pathname}${url.search}${url.hash}`;
  // `/.//h` and friends normalize to `//h`, which a browser reads as a host.
  if (path.startsWith('//')) return null;
  return path;
}
