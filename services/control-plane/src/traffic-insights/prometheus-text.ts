/**
 * A parser of the Prometheus text exposition format (0.0.4) for what the traffic insights read from a
 * proxy's `/metrics`: `name{label="value",...} value [timestamp]` lines, `# HELP` / `# TYPE` and blank
 * lines skipped. Label values are unescaped (`\\`, `\"`, `\n`); values may be floats, `+Inf`, `-Inf` or
 * `NaN`. Only the metrics `keep` accepts are parsed further (the name is read first), so a proxy with
 * thousands of series costs little more than splitting its lines. A malformed line is skipped and counted,
 * never thrown: a proxy cannot stop the collection of the others.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParseResult {
  samples: Sample[];
  /** Lines that were not comments, blank, or valid samples. */
  malformed: number;
}

const NAME_START = /[a-zA-Z_:]/;
const NAME_CHAR = /[a-zA-Z0-9_:]/;

function parseValue(text: string): number | undefined {
  switch (text) {
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
    case 'NaN':
      return Number.NaN;
  }
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}

/** Parses one sample line; undefined when it is malformed. `keep` false: `null` (skipped on purpose). */
export function parseLine(line: string, keep: (name: string) => boolean = () => true): Sample | undefined | null {
  let i = 0;
  if (!NAME_START.test(line[0] ?? '')) return undefined;
  while (i < line.length && NAME_CHAR.test(line[i] as string)) i++;
  const name = line.slice(0, i);
  if (!keep(name)) return null;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    for (;;) {
      while (line[i] === ' ' || line[i] === ',') i++;
      if (line[i] === '}') {
        i++;
        break;
      }
      const start = i;
      while (i < line.length && NAME_CHAR.test(line[i] as string)) i++;
      const label = line.slice(start, i);
      if (label === '' || line[i] !== '=' || line[i + 1] !== '"') return undefined;
      i += 2;
      let value = '';
      for (;;) {
        const ch = line[i];
        if (ch === undefined) return undefined;
        if (ch === '"') {
          i++;
          break;
        }
        if (ch === '\\') {
          const next = line[i + 1];
          value += next === 'n' ? '\n' : (next ?? '');
          i += 2;
          continue;
        }
        value += ch;
        i++;
      }
      labels[label] = value;
    }
  }
  const rest = line.slice(i).trim().split(/\s+/);
  if (rest.length < 1 || rest.length > 2 || rest[0] === '') return undefined;
  const value = parseValue(rest[0] as string);
  if (value === undefined) return undefined;
  return { name, labels, value };
}

/** Parses a whole exposition; only the samples of the metrics `keep` accepts are returned. */
export function parsePrometheusText(text: string, keep: (name: string) => boolean = () => true): ParseResult {
  const samples: Sample[] = [];
  let malformed = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end).trim();
    start = end + 1;
    if (line === '' || line.startsWith('#')) continue;
    const s = parseLine(line, keep);
    if (s === undefined) malformed++;
    else if (s !== null) samples.push(s);
  }
  return { samples, malformed };
}
