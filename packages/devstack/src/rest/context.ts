import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Sql } from 'postgres';
import type { RequestIdentity } from './auth';
import type { RestConfig } from './config';
import type { MediaRequest, Preferences } from './headers';
import type { SchemaCache } from './schema/cache';
import type { RequestSettings, TransactionOptions } from './execute';

/** Everything a handler needs about one request. */
export interface RequestContext {
  sql: Sql;
  config: RestConfig;
  cache: SchemaCache;
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  identity: RequestIdentity;
  settings: RequestSettings;
  prefs: Preferences;
  media: MediaRequest;
  head: boolean;
}

/** How the request's transaction runs: read-only or not, its time zone, and whether it ends in ROLLBACK. */
export function transactionOptions(rc: RequestContext, readOnly: boolean): TransactionOptions {
  const txEnd = rc.cache.now().settings.txEnd;
  const rollback = rc.prefs.tx === 'rollback' || (txEnd.startsWith('rollback') && rc.prefs.tx !== 'commit');
  return { readOnly, timezone: rc.prefs.timezone, rollback };
}
