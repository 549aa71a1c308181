import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Sql } from 'postgres';
import type { RequestIdentity } from './auth';
import type { RestConfig } from './config';
import type { Preferences, Representation } from './headers';
import type { SchemaCache } from './schema/cache';
import type { RequestSettings } from './execute';

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
  accept: Representation;
  head: boolean;
}
