import type { Sql, TransactionSql } from 'postgres';
import { MESSAGES_PUBLICATION } from '../../constants';

/** Creates the dev stack's publication for realtime.messages (partitioned: published as the root). */
export async function ensureMessagesPublication(sql: Sql | TransactionSql): Promise<void> {
  await sql.unsafe(`
    do $$
    begin
      if not exists (select 1 from pg_publication where pubname = '${MESSAGES_PUBLICATION}') then
        create publication ${MESSAGES_PUBLICATION} for table realtime.messages
          with (publish = 'insert', publish_via_partition_root = true);
      else
        alter publication ${MESSAGES_PUBLICATION} set (publish = 'insert', publish_via_partition_root = true);
        if not exists (select 1 from pg_publication_rel pr join pg_publication p on p.oid = pr.prpubid
                       where p.pubname = '${MESSAGES_PUBLICATION}' and pr.prrelid = 'realtime.messages'::regclass) then
          alter publication ${MESSAGES_PUBLICATION} set table realtime.messages;
        end if;
      end if;
    end
    $$`);
}
