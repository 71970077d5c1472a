/** Canonical protobuf Duration strings (what generators write); no proto loading here. */
export function formatProtoDuration(seconds: string | number, nanos: number): string {
  const s = BigInt(seconds);
  const neg = s < 0n || nanos < 0;
  const abs = s < 0n ? -s : s;
  const n = Math.abs(nanos);
  let frac = '';
  if (n !== 0) {
    const nine = String(n).padStart(9, '0');
    frac = `.${nine.endsWith('000000') ? nine.slice(0, 3) : nine.endsWith('000') ? nine.slice(0, 6) : nine}`;
  }
  return `${neg ? '-' : ''}${abs}${frac}s`;
}

/** Milliseconds -> canonical duration string (what generators write). */
export function durationMs(ms: number): string {
  const whole = Math.floor(ms / 1000);
  const nanos = Math.round((ms - whole * 1000) * 1e6);
  return formatProtoDuration(whole, nanos);
}
