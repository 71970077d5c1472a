/**
 * A protobuf message put together from parts: strings (UTF-8: versions, nonces, resource names), bytes
 * already encoded, nested writers. The parts are measured as they are added, then copied once into one
 * buffer (a response per proxy and type on every change: no small buffer per field). The xDS server's
 * responses are made of it (cache.ts), and so is each packed resource (packing.ts).
 */
export class MessageWriter {
  /** Buffers as they are; a length-delimited field as three parts: its tag, its length, its string, bytes or message. */
  private readonly parts: (Buffer | string | number | MessageWriter)[] = [];
  private length = 0;

  get byteLength(): number {
    return this.length;
  }

  /** A length-delimited string field (tag, length, bytes). */
  string(field: number, value: string): void {
    const n = Buffer.byteLength(value);
    this.parts.push((field << 3) | 2, n, value);
    this.length += 1 + varintLength(n) + n;
  }

  /** A length-delimited field of bytes already encoded (tag, length, bytes). */
  bytes(field: number, value: Buffer): void {
    this.parts.push((field << 3) | 2, value.length, value);
    this.length += 1 + varintLength(value.length) + value.length;
  }

  /** A length-delimited field holding the message another writer writes. */
  message(field: number, value: MessageWriter): void {
    this.parts.push((field << 3) | 2, value.byteLength, value);
    this.length += 1 + varintLength(value.byteLength) + value.byteLength;
  }

  raw(bytes: Buffer): void {
    this.parts.push(bytes);
    this.length += bytes.length;
  }

  /** The message in a buffer of its own. */
  finish(): Buffer {
    const out = Buffer.allocUnsafe(this.length);
    this.writeInto(out);
    return out;
  }

  /** Writes the message at the start of `out` (at least `byteLength` long). */
  writeInto(out: Buffer): void {
    let at = 0;
    const parts = this.parts;
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i] as Buffer | string | number | MessageWriter;
      if (typeof p === 'number') {
        // A tag, then the length and the string, bytes or message.
        out[at++] = p;
        let n = parts[++i] as number;
        while (n > 0x7f) {
          out[at++] = (n & 0x7f) | 0x80;
          n = Math.floor(n / 128);
        }
        out[at++] = n;
        const value = parts[++i] as string | Buffer | MessageWriter;
        if (typeof value === 'string') at += out.write(value, at);
        else if (value instanceof MessageWriter) {
          value.writeInto(out.subarray(at));
          at += value.byteLength;
        } else at += value.copy(out, at);
      } else {
        (p as Buffer).copy(out, at);
        at += (p as Buffer).length;
      }
    }
  }
}

function varintLength(n: number): number {
  let len = 1;
  for (let v = n; v > 0x7f; v = Math.floor(v / 128)) len++;
  return len;
}
