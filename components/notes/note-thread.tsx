'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { useLiveInsert } from '@/lib/live/use-live-mutation';
import { newNoteSchema, noteReadKeys, notesTable, type Note } from '@/lib/shipments/notes';
import { createClient } from '@/lib/supabase/client';

interface Props {
  shipmentId: string;
  depotId: string;
  /** All notes the caller holds; the thread shows this shipment's, oldest first. */
  notes: Note[];
  names: Map<string, string>;
  meId: string;
  /** Sending is disabled while offline. */
  offline: boolean;
}

/** A shipment's notes: the thread, a box to add one, and "read up to now" while it is open. */
export function NoteThread({ shipmentId, depotId, notes, names, meId, offline }: Props) {
  const queryClient = useQueryClient();
  const add = useLiveInsert(notesTable);
  const [draft, setDraft] = useState('');
  const [invalid, setInvalid] = useState<string | null>(null);
  const thread = useMemo(
    () => notes.filter((n) => n.shipment_id === shipmentId).sort((a, b) => a.created_at.localeCompare(b.created_at)),
    [notes, shipmentId],
  );

  // Open thread = read: mark it (database time) whenever it shows new notes.
  const newest = thread.at(-1)?.id ?? null;
  useEffect(() => {
    let cancelled = false;
    void createClient()
      .rpc('mark_shipment_notes_read', { shipment: shipmentId })
      .then(({ error }) => {
        if (error) console.warn('[notes] could not mark notes read', error.message);
        else if (!cancelled) void queryClient.invalidateQueries({ queryKey: noteReadKeys.mine(meId) });
      });
    return () => {
      cancelled = true;
    };
  }, [shipmentId, newest, meId, queryClient]);

  const send = () => {
    const parsed = newNoteSchema.safeParse({ shipment_id: shipmentId, depot_id: depotId, body: draft });
    if (!parsed.success) {
      setInvalid(parsed.error.issues[0]?.message ?? 'This note cannot be sent.');
      return;
    }
    setInvalid(null);
    add.mutate(parsed.data, { onSuccess: () => setDraft('') });
  };

  return (
    <section aria-labelledby={`notes-${shipmentId}`} data-testid="note-thread">
      <h3 id={`notes-${shipmentId}`} className="text-sm font-medium">
        Notes
      </h3>
      {thread.length === 0 ? (
        <p className="mt-2 text-sm text-slate-600 dark:text-slate-400">No notes yet.</p>
      ) : (
        <ol className="mt-2 space-y-2 text-sm" data-testid="notes">
          {thread.map((note) => (
            <li key={note.id} data-testid="note" className="rounded-md bg-slate-50 px-3 py-2 dark:bg-slate-800">
              <div className="whitespace-pre-wrap">{note.body}</div>
              <div className="text-xs text-slate-600 dark:text-slate-400">
                {note.author_id === meId ? 'You' : (names.get(note.author_id) ?? 'Someone')} ·{' '}
                {new Date(note.created_at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}
              </div>
            </li>
          ))}
        </ol>
      )}
      <form
        className="mt-2 flex gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          send();
        }}
      >
        <label className="sr-only" htmlFor={`note-input-${shipmentId}`}>
          Add a note
        </label>
        <textarea
          id={`note-input-${shipmentId}`}
          data-testid="note-input"
          rows={2}
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          placeholder="Add a note for the team and the driver"
          className="min-w-0 flex-1 rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm dark:border-slate-700 dark:bg-slate-950"
        />
        <button
          type="submit"
          data-testid="note-send"
          disabled={offline || add.isPending}
          className="self-end rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white disabled:opacity-50"
        >
          Send
        </button>
      </form>
      {(invalid ?? add.error?.message) && (
        <p role="alert" data-testid="note-error" className="mt-1 text-sm text-red-700">
          {invalid ?? add.error?.message}
        </p>
      )}
    </section>
  );
}
