// A small JSON reader that keeps numbers as their source text, so two JSON
// documents can be compared digit for digit (JSON.parse rounds int8 and long
// numerics to doubles on both sides and would hide a wrong digit).

export type LosslessJson =
  null | boolean | string | { number: string } | LosslessJson[] | { [key: string]: LosslessJson };

export function parseLossless(text: string): LosslessJson {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const value = (): LosslessJson => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const out: Record<string, LosslessJson> = {};
      ws();
      if (text[i] === '}') return (i++, out);
      for (;;) {
        ws();
        const key = value() as string;
        ws();
        i++; // ':'
        out[key] = value();
        ws();
        if (text[i++] === '}') return out;
      }
    }
    if (c === '[') {
      i++;
      const out: LosslessJson[] = [];
      ws();
      if (text[i] === ']') return (i++, out);
      for (;;) {
        out.push(value());
        ws();
        if (text[i++] === ']') return out;
      }
    }
    if (c === '"') {
      const start = i;
      i++;
      while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
      return JSON.parse(text.slice(start, i)) as string;
    }
    const literal = /^(true|false|null|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i));
    if (!literal) throw new Error(`not JSON at ${i}: ${text.slice(i, i + 20)}`);
    i += literal[1].length;
    if (literal[1] === 'true') return true;
    if (literal[1] === 'false') return false;
    if (literal[1] === 'null') return null;
    return { number: literal[1] };
  };
  return value();
}

/** The raw `data` of every postgres_changes frame in a list of text frames (vsn 2.0.0). */
export function changeFrames(frames: string[]): Array<Record<string, LosslessJson>> {
  return frames
    .filter((f) => f.includes('"postgres_changes"'))
    .map((f) => parseLossless(f) as LosslessJson[])
    .filter((f) => f[3] === 'postgres_changes')
    .map((f) => (f[4] as Record<string, LosslessJson>).data as Record<string, LosslessJson>);
}
