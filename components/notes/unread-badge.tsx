/** "3 unread notes" as a small pill; nothing when there are none. */
export function UnreadBadge({ count, testId }: { count: number; testId: string }) {
  if (count === 0) return null;
  return (
    <span
      data-testid={testId}
      data-count={count}
      aria-label={`${count} unread ${count === 1 ? 'note' : 'notes'}`}
      className="rounded-full bg-rose-600 px-1.5 py-0.5 text-xs font-semibold text-white"
    >
      ✉ {count}
    </span>
  );
}
