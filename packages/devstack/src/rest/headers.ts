// Request headers PostgREST reads: Prefer, Accept (array, single object, nulls
// stripped), Range, and Accept-Profile / Content-Profile for the schema.
import type { IncomingMessage } from 'node:http';
import { RestError } from './errors';

export interface Preferences {
  return: 'minimal' | 'representation' | 'headers-only' | null;
  count: 'exact' | 'planned' | 'estimated' | null;
  resolution: 'merge-duplicates' | 'ignore-duplicates' | null;
  missing: 'default' | 'null' | null;
}

const preferenceValues: { [K in keyof Preferences]: readonly string[] } = {
  return: ['minimal', 'representation', 'headers-only'],
  count: ['exact', 'planned', 'estimated'],
  resolution: ['merge-duplicates', 'ignore-duplicates'],
  missing: ['default', 'null'],
};

/** Unknown or invalid preferences are ignored, as PostgREST does without handling=strict. */
export function parsePrefer(req: IncomingMessage): Preferences {
  const prefs: Preferences = { return: null, count: null, resolution: null, missing: null };
  const raw = req.headers.prefer;
  const text = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
  for (const part of text.split(',')) {
    const [key, value] = part
      .trim()
      .split('=')
      .map((s) => s.trim());
    if (!value || !Object.hasOwn(preferenceValues, key)) continue;
    const name = key as keyof Preferences;
    if (preferenceValues[name].includes(value)) (prefs as Record<keyof Preferences, string | null>)[name] = value;
  }
  return prefs;
}

/** The Preference-Applied header for what this request honoured. */
export function preferenceApplied(prefs: Preferences, applied: (keyof Preferences)[]): Record<string, string> {
  const parts = applied.flatMap((key) => (prefs[key] ? [`${key}=${prefs[key]}`] : []));
  return parts.length > 0 ? { 'preference-applied': parts.join(', ') } : {};
}

export interface Representation {
  singular: boolean;
  stripNulls: boolean;
}

export function parseAccept(req: IncomingMessage): Representation {
  const header = req.headers.accept;
  if (!header) return { singular: false, stripNulls: false };
  const offered = header.split(',').map((entry) => {
    const [type, ...params] = entry.split(';').map((s) => s.trim().toLowerCase());
    return { type, nullsStripped: params.includes('nulls=stripped') };
  });
  for (const { type, nullsStripped } of offered) {
    if (type === 'application/vnd.pgrst.object+json' || type === 'application/vnd.pgrst.object') {
      return { singular: true, stripNulls: nullsStripped };
    }
    if (
      [
        'application/json',
        'application/*',
        '*/*',
        'application/vnd.pgrst.array+json',
        'application/vnd.pgrst.array',
      ].includes(type)
    ) {
      return { singular: false, stripNulls: nullsStripped };
    }
  }
  throw new RestError(
    406,
    'PGRST107',
    `None of these media types are available: ${offered.map((o) => o.type).join(', ')}`,
  );
}

/** `Range: 0-24` (items). Returns null when absent or not a range PostgREST would read. */
export function parseRangeHeader(req: IncomingMessage): { from: number; to: number | null } | null {
  const header = req.headers.range;
  if (!header) return null;
  const match = /^(?:items=)?(\d{1,15})-(\d{1,15})?$/.exec(header.trim());
  if (!match) return null;
  const from = Number(match[1]);
  const to = match[2] === undefined ? null : Number(match[2]);
  if (to !== null && from > to) {
    throw new RestError(
      416,
      'PGRST103',
      'Requested range not satisfiable',
      'The lower boundary must be lower than or equal to the upper boundary in the Range header.',
    );
  }
  return { from, to };
}

/** Accept-Profile (reads) / Content-Profile (writes): only the exposed schema is served. */
export function checkProfile(req: IncomingMessage, schema: string): void {
  const header =
    req.method === 'GET' || req.method === 'HEAD' ? req.headers['accept-profile'] : req.headers['content-profile'];
  if (typeof header === 'string' && header !== schema) {
    throw new RestError(406, 'PGRST106', `The schema must be one of the following: ${schema}`);
  }
}
