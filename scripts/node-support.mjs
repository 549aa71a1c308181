// The one statement of which Node.js versions Switchboard supports, printed
// once at the start of `npm run dev` and `npm test`, and the filter that keeps
// supabase-js from repeating its own Node 20 notice in every process and
// module instance (it prints it whenever its module is loaded on Node ≤ 20:
// dozens of times in one `next dev` session, once per vitest worker).
import { Transform } from 'node:stream';

/** Next.js 16's minimum; package.json's engines says the same. */
export const MINIMUM_NODE = '20.9.0';
/** .nvmrc; CI runs this one and the minimum's major. */
export const RECOMMENDED_NODE_MAJOR = 22;

const SUPABASE_NODE_NOTICE = 'Node.js 20 and below are deprecated';

/** True for the line supabase-js prints on Node ≤ 20 (see nodeSupportNote). */
export function isSupabaseNodeNotice(text) {
  return text.includes(SUPABASE_NODE_NOTICE);
}

function parse(version) {
  return version.replace(/^v/, '').split('.').map(Number);
}

/** Whether `version` (e.g. process.version) is at least MINIMUM_NODE. */
export function isSupportedNode(version = process.version) {
  const [major, minor] = parse(version);
  const [minMajor, minMinor] = parse(MINIMUM_NODE);
  return major > minMajor || (major === minMajor && minor >= minMinor);
}

/** One line: this Node, what is supported, and what the supabase-js notice means here. */
export function nodeSupportNote(version = process.version) {
  const [major] = parse(version);
  if (!isSupportedNode(version))
    return `✗ Node.js ${version} is too old: Switchboard needs ${MINIMUM_NODE} or newer (${RECOMMENDED_NODE_MAJOR} LTS recommended, see .nvmrc).`;
  if (major < 22)
    return `Node.js ${version}: supported (${MINIMUM_NODE}+; ${RECOMMENDED_NODE_MAJOR} LTS recommended, see .nvmrc). supabase-js's "${SUPABASE_NODE_NOTICE}" notice is about its future releases; it is shown here once instead of in every process.`;
  return `Node.js ${version}: supported (${MINIMUM_NODE}+).`;
}

/** A line filter for a child's output that drops supabase-js's Node notice (the note above says it once). */
export function withoutSupabaseNodeNotice() {
  let pending = '';
  return new Transform({
    transform(chunk, _encoding, callback) {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop() ?? '';
      const kept = lines.filter((line) => !isSupabaseNodeNotice(line));
      callback(null, kept.length > 0 ? `${kept.join('\n')}\n` : '');
    },
    flush(callback) {
      callback(null, pending && !isSupabaseNodeNotice(pending) ? pending : '');
    },
  });
}
