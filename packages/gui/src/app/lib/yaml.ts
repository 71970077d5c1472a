/**
 * JSON values as YAML, for reading resources the way `causeway get -o yaml` prints them (display only: the
 * GUI never parses YAML). Strings that YAML would read as something else are quoted.
 */
const PLAIN = /^[A-Za-z_./][A-Za-z0-9_./:@+-]*( [A-Za-z0-9_./:@+-]+)*$/;
const RESERVED = /^(true|false|yes|no|on|off|null|~|y|n)$/i;

function scalar(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const s = String(v);
  if (s === '' || !PLAIN.test(s) || RESERVED.test(s) || /^[0-9.+-]/.test(s) || s.includes(': ') || s.endsWith(':')) return JSON.stringify(s);
  return s;
}

function key(k: string): string {
  return PLAIN.test(k) && !RESERVED.test(k) && !k.endsWith(':') ? k : JSON.stringify(k);
}

function isEmpty(v: unknown): boolean {
  return (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);
}

function lines(v: unknown, indent: string): string[] {
  if (Array.isArray(v)) {
    return v.flatMap((item) => {
      if (typeof item === 'object' && item !== null && !isEmpty(item)) {
        const inner = lines(item, `${indent}  `);
        const firstLine = (inner[0] ?? '').slice(indent.length + 2);
        return [`${indent}- ${firstLine}`, ...inner.slice(1)];
      }
      return [`${indent}- ${isEmpty(item) ? (Array.isArray(item) ? '[]' : '{}') : scalar(item)}`];
    });
  }
  if (typeof v === 'object' && v !== null) {
    return Object.entries(v as Record<string, unknown>)
      .filter(([, val]) => val !== undefined)
      .flatMap(([k, val]) => {
        if (isEmpty(val)) return [`${indent}${key(k)}: ${Array.isArray(val) ? '[]' : '{}'}`];
        if (typeof val === 'object' && val !== null) return [`${indent}${key(k)}:`, ...lines(val, Array.isArray(val) ? indent : `${indent}  `)];
        if (typeof val === 'string' && val.includes('\n')) return [`${indent}${key(k)}: |`, ...val.replace(/\n$/, '').split('\n').map((l) => `${indent}  ${l}`)];
        return [`${indent}${key(k)}: ${scalar(val)}`];
      });
  }
  return [`${indent}${scalar(v)}`];
}

export function toYaml(v: unknown): string {
  if (isEmpty(v)) return Array.isArray(v) ? '[]\n' : '{}\n';
  return `${lines(v, '').join('\n')}\n`;
}
