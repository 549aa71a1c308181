import { queryOptions } from '@tanstack/react-query';
import { z } from 'zod';
import { defineLiveTable } from '@/lib/live/table';
import type { Supabase } from './queries';

// Notes on a shipment (supabase/migrations/20261201000400_shipment_notes.sql):
// a live table scoped by depot (dispatchers) with the shipment's driver as
// audience, plus each person's read markers for unread counts.

export const noteSchema = z.object({
  id: z.uuid(),
  shipment_id: z.uuid(),
  depot_id: z.uuid(),
  driver_id: z.uuid().nullable(),
  author_id: z.uuid(),
  body: z.string(),
  created_at: z.string().min(1),
  version: z.number().int().positive(),
});
export type Note = z.infer<typeof noteSchema>;

export const notesTable = defineLiveTable({
  name: 'shipment_notes',
  row: noteSchema,
  primaryKey: 'id',
  scopeColumn: 'depot_id',
  audienceColumn: 'driver_id',
  order: [{ column: 'created_at' }],
});

export const NOTE_MAX_LENGTH = 2000;
/** What a person may send (the database checks the same). */
export const newNoteSchema = z.object({
  shipment_id: z.uuid(),
  depot_id: z.uuid(),
  body: z.string().trim().min(1, 'Write something first.').max(NOTE_MAX_LENGTH, 'Notes are at most 2000 characters.'),
});

const readSchema = z.object({ shipment_id: z.uuid(), read_at: z.string().min(1) });
export type NoteRead = z.infer<typeof readSchema>;

export const noteReadKeys = { mine: (userId: string) => ['shipment_note_reads', userId] as const };

/** The caller's read markers: shipment id → when they last read its notes (database time). */
export function myNoteReadsQuery(supabase: Supabase, userId: string) {
  return queryOptions({
    queryKey: noteReadKeys.mine(userId),
    queryFn: async (): Promise<Record<string, string>> => {
      const { data, error } = await supabase
        .from('shipment_note_reads')
        .select('shipment_id, read_at')
        .eq('user_id', userId);
      if (error) throw new Error(`Could not load your read notes: ${error.message}`);
      return Object.fromEntries(
        z
          .array(readSchema)
          .parse(data)
          .map((r) => [r.shipment_id, r.read_at]),
      );
    },
    staleTime: 60_000,
  });
}

/**
 * Unread notes per shipment: notes by someone else created after the person
 * last read that shipment's notes. Both times are the database's, so the
 * browser's clock never matters.
 */
export function unreadCounts(notes: Note[], reads: Record<string, string>, me: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const note of notes) {
    if (note.author_id === me) continue;
    const readAt = reads[note.shipment_id];
    if (readAt && Date.parse(note.created_at) <= Date.parse(readAt)) continue;
    counts.set(note.shipment_id, (counts.get(note.shipment_id) ?? 0) + 1);
  }
  return counts;
}
