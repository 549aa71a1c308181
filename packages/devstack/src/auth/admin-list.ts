import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../gateway/http';
import { requestAudience } from './account';
import type { AuthDeps } from './context';
import { badRequest } from './errors';
import { userJson, type Db, type IdentityRow, type UserRow } from './users';

const DEFAULT_PER_PAGE = 50;

function pageParam(url: URL, name: string, fallback: number): number {
  const raw = url.searchParams.get(name) ?? '';
  if (raw === '') return fallback;
  if (!/^\d{1,9}$/.test(raw)) {
    throw badRequest(
      'validation_failed',
      `Bad Pagination Parameters: ${name} must be a non-negative integer, got "${raw}"`,
    );
  }
  return Number(raw);
}

/**
 * GoTrue's Link header: a "next" link while pages remain, always a "last"
 * link, both relative to the service (as GoTrue sees its own URL behind Kong).
 */
function linkHeader(url: URL, page: number, perPage: number, total: number): string {
  const totalPages = Math.ceil(total / perPage);
  const pageUrl = (n: number) => {
    const query = new URLSearchParams(url.searchParams);
    query.set('page', String(n));
    query.sort();
    return `</admin/users?${query.toString()}>`;
  };
  const links: string[] = [];
  if (totalPages > page) links.push(`${pageUrl(page + 1)}; rel="next"`);
  links.push(`${pageUrl(totalPages)}; rel="last"`);
  return links.join(', ');
}

/** GET /admin/users?page=&per_page=&filter= : newest first, with x-total-count and link headers. */
export async function adminListUsers(
  req: IncomingMessage,
  res: ServerResponse,
  deps: AuthDeps,
  url: URL,
): Promise<void> {
  const page = Math.max(1, pageParam(url, 'page', 1));
  const perPage = pageParam(url, 'per_page', DEFAULT_PER_PAGE);
  if (perPage < 1) throw badRequest('validation_failed', 'Bad Pagination Parameters: per_page must be at least 1');
  const aud = requestAudience(req, deps);
  const filter = url.searchParams.get('filter') ?? '';
  const pattern = `%${filter.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const matches = (db: Db) =>
    filter
      ? db`aud = ${aud} and (email ilike ${pattern} or raw_user_meta_data ->> 'full_name' ilike ${pattern})`
      : db`aud = ${aud}`;

  // One snapshot, so the count and the page agree.
  const { users, total } = await deps.sql.begin('isolation level repeatable read read only', async (tx) => {
    const [{ count }] = await tx<
      { count: number }[]
    >`select count(*)::int as count from auth.users where ${matches(tx)}`;
    const rows = await tx<UserRow[]>`
      select * from auth.users where ${matches(tx)}
      order by created_at desc nulls last, id desc
      limit ${perPage} offset ${(page - 1) * perPage}`;
    const identities = rows.length
      ? await tx<IdentityRow[]>`
          select id, provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at, email
          from auth.identities where user_id in ${tx(rows.map((r) => r.id))} order by created_at, id`
      : [];
    const byUser = (id: string) => identities.filter((identity) => identity.user_id === id);
    return { users: rows.map((row) => userJson(row, byUser(row.id))), total: count };
  });

  sendJson(res, 200, { users, aud }, { link: linkHeader(url, page, perPage, total), 'x-total-count': String(total) });
}
