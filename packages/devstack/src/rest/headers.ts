// Request headers PostgREST 13 reads: Prefer (src/PostgREST/ApiRequest/
// Preferences.hs), Accept with its vendor media types including the EXPLAIN
// plan (MediaType.hs), Range, and Accept-Profile / Content-Profile.
import type { IncomingMessage } from 'node:http';
import { RestError } from './errors';

export interface Preferences {
  resolution: 'merge-duplicates' | 'ignore-duplicates' | null;
  return: 'representation' | 'minimal' | 'headers-only' | null;
  count: 'exact' | 'planned' | 'estimated' | null;
  /** Only read when the in-database `pgrst.db_tx_end` allows overriding (as PostgREST). */
  tx: 'commit' | 'rollback' | null;
  missing: 'default' | 'null' | null;
  handling: 'strict' | 'lenient' | null;
  timezone: string | null;
  maxAffected: number | null;
  /** Preferences PostgREST does not know: an error with handling=strict. */
  invalid: string[];
}

const choices = {
  resolution: ['merge-duplicates', 'ignore-duplicates'],
  return: ['representation', 'minimal', 'headers-only'],
  count: ['exact', 'planned', 'estimated'],
  tx: ['commit', 'rollback'],
  missing: ['default', 'null'],
  handling: ['strict', 'lenient'],
} as const;
type Choice = keyof typeof choices;

const known = new Set(Object.entries(choices).flatMap(([key, values]) => values.map((v) => `${key}=${v}`)));

export function parsePrefer(
  req: IncomingMessage,
  options: { allowTxOverride: boolean; timezones: ReadonlySet<string> },
): Preferences {
  const raw = req.headers.prefer;
  const headers = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  const prefs = headers.flatMap((h) => (h === '' ? [] : h.split(',').map((p) => p.trim())));
  const first = <K extends Choice>(key: K): (typeof choices)[K][number] | null => {
    for (const pref of prefs) {
      const match = choices[key].find((v) => pref === `${key}=${v}`);
      if (match) return match;
    }
    return null;
  };
  const prefixed = (prefix: string) => prefs.find((p) => p.startsWith(prefix))?.slice(prefix.length) ?? null;
  const timezone = prefixed('timezone=');
  const timezoneAccepted = timezone !== null && options.timezones.has(timezone);
  const maxAffectedText = prefixed('max-affected=');
  const maxAffected = maxAffectedText !== null && /^-?\d{1,18}$/.test(maxAffectedText) ? Number(maxAffectedText) : null;
  return {
    resolution: first('resolution'),
    return: first('return'),
    count: first('count'),
    tx: options.allowTxOverride ? first('tx') : null,
    missing: first('missing'),
    handling: first('handling'),
    timezone: timezoneAccepted ? timezone : null,
    maxAffected,
    invalid: prefs.filter(
      (p) => !known.has(p) && !(p.startsWith('timezone=') && timezoneAccepted) && !p.startsWith('max-affected='),
    ),
  };
}

/** PGRST122 when handling=strict meets a preference PostgREST does not know. */
export function checkStrictPreferences(prefs: Preferences): void {
  if (prefs.handling === 'strict' && prefs.invalid.length > 0) {
    throw new RestError(
      400,
      'PGRST122',
      'Invalid preferences given with handling=strict',
      `Invalid preferences: ${prefs.invalid.join(', ')}`,
    );
  }
}

type Applied = Exclude<keyof Preferences, 'invalid'>;

/** Preference-Applied, listing what PostgREST lists for this kind of request, in its order. */
export function preferenceApplied(prefs: Preferences, applies: Applied[]): Record<string, string> {
  const order: Applied[] = ['resolution', 'missing', 'return', 'count', 'tx', 'handling', 'timezone', 'maxAffected'];
  const parts = order.flatMap((key) => {
    if (!applies.includes(key)) return [];
    if (key === 'maxAffected')
      return prefs.handling === 'strict' && prefs.maxAffected !== null ? [`max-affected=${prefs.maxAffected}`] : [];
    const value = prefs[key];
    return value === null ? [] : [`${key}=${value}`];
  });
  return parts.length > 0 ? { 'preference-applied': parts.join(', ') } : {};
}

/** A JSON media type PostgREST produces: an array (possibly nulls-stripped) or a single object. */
export interface JsonMedia {
  singular: boolean;
  stripNulls: boolean;
}

export type MediaRequest =
  | ({ kind: 'json' } & JsonMedia)
  | {
      kind: 'plan';
      format: 'text' | 'json';
      for: JsonMedia;
      options: ('analyze' | 'verbose' | 'settings' | 'buffers' | 'wal')[];
    };

interface Offered {
  type: string;
  params: Map<string, string>;
  q: number;
}

function parseMediaRange(entry: string): Offered {
  const [type, ...rest] = entry.split(';');
  const params = new Map<string, string>();
  for (const part of rest) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    params.set(
      part.slice(0, eq).trim().toLowerCase(),
      part
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1'),
    );
  }
  const q = Number(params.get('q') ?? '1');
  return { type: type.trim().toLowerCase(), params, q: Number.isFinite(q) ? q : 1 };
}

/** Splits Accept on commas outside quotes (a plan's `for="…"` may hold parameters). */
function splitAccept(header: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of header) {
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) {
      out.push(current);
      current = '';
    } else current += ch;
  }
  out.push(current);
  return out.map((s) => s.trim()).filter((s) => s !== '');
}

function jsonMediaOf(offered: Offered): JsonMedia | null {
  const stripped = offered.params.get('nulls') === 'stripped';
  switch (offered.type) {
    case 'application/json':
    case '*/*':
    case 'application/*':
      return { singular: false, stripNulls: false };
    case 'application/vnd.pgrst.array+json':
    case 'application/vnd.pgrst.array':
      return { singular: false, stripNulls: stripped };
    case 'application/vnd.pgrst.object+json':
    case 'application/vnd.pgrst.object':
      return { singular: true, stripNulls: stripped };
    default:
      return null;
  }
}

const planOptions = ['analyze', 'verbose', 'settings', 'buffers', 'wal'] as const;

function jsonMime(media: JsonMedia): string {
  if (media.singular) return `application/vnd.pgrst.object+json${media.stripNulls ? ';nulls=stripped' : ''}`;
  return media.stripNulls ? 'application/vnd.pgrst.array+json;nulls=stripped' : 'application/json';
}

function planOf(offered: Offered): Extract<MediaRequest, { kind: 'plan' }> | null {
  const format = {
    'application/vnd.pgrst.plan': 'text',
    'application/vnd.pgrst.plan+text': 'text',
    'application/vnd.pgrst.plan+json': 'json',
  }[offered.type] as 'text' | 'json' | undefined;
  if (!format) return null;
  const forMedia = jsonMediaOf(parseMediaRange(offered.params.get('for') ?? 'application/json')) ?? {
    singular: false,
    stripNulls: false,
  };
  const asked = (offered.params.get('options') ?? '').split('|');
  return { kind: 'plan', format, for: forMedia, options: planOptions.filter((o) => asked.includes(o)) };
}

/** The Content-Type PostgREST answers with for a media type. */
export function contentTypeOf(media: MediaRequest): string {
  if (media.kind === 'json') return `${jsonMime(media)}; charset=utf-8`;
  const options = media.options.length > 0 ? `; options=${media.options.join('|')}` : '';
  return `application/vnd.pgrst.plan+${media.format}; for="${jsonMime(media.for)}"${options}; charset=utf-8`;
}

/**
 * The first acceptable media type, by quality: JSON (array, nulls stripped,
 * single object) or, when `pgrst.db_plan_enabled` is on, the EXPLAIN plan.
 * 406 PGRST107 naming what was asked for otherwise.
 */
export function negotiateMedia(req: IncomingMessage, planEnabled: boolean): MediaRequest {
  const header = req.headers.accept;
  if (!header) return { kind: 'json', singular: false, stripNulls: false };
  const offered = splitAccept(header)
    .map(parseMediaRange)
    .map((o, i) => ({ o, i }))
    .sort((a, b) => b.o.q - a.o.q || a.i - b.i)
    .map(({ o }) => o);
  for (const o of offered) {
    const json = jsonMediaOf(o);
    if (json) return { kind: 'json', ...json };
    const plan = planOf(o);
    if (plan && planEnabled) return plan;
  }
  const names = offered.map((o) => {
    const plan = planOf(o);
    if (plan) return contentTypeOf(plan).replace(/; charset=utf-8$/, '');
    return o.type;
  });
  throw new RestError(406, 'PGRST107', `None of these media types are available: ${names.join(', ')}`);
}

/** The range asked for with `Range: 0-24` (GET only, as PostgREST reads it). */
export function parseRangeHeader(req: IncomingMessage): { from: number; to: number | null } | null {
  const header = req.headers.range;
  if (!header || req.method !== 'GET') return null;
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
    throw new RestError(
      406,
      'PGRST106',
      `Invalid schema: ${header}`,
      null,
      `Only the following schemas are exposed: ${schema}`,
    );
  }
}
