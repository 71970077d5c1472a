/** Node's HTTP parser binding (llhttp), as node:http uses it; shared by the downstream and upstream HTTP/1.1 codecs. */
import { HTTPParser } from 'node:_http_common';

export const kOnMessageBegin = HTTPParser.kOnMessageBegin as number;
export const kOnHeaders = HTTPParser.kOnHeaders as number;
export const kOnHeadersComplete = HTTPParser.kOnHeadersComplete as number;
export const kOnBody = HTTPParser.kOnBody as number;
export const kOnMessageComplete = HTTPParser.kOnMessageComplete as number;
export const kOnExecute = HTTPParser.kOnExecute as number;

export interface Parser {
  initialize(type: number, resource: object, maxHeaderSize?: number, lenient?: number): void;
  execute(data: Buffer): number | (Error & { code?: string; bytesParsed?: number });
  finish(): number | Error | undefined;
  free?: () => void;
  [k: number]: unknown;
}

/** A parser for requests or responses (header size limit in bytes; 0: Node's default). */
export function newParser(type: 'request' | 'response', maxHeaderSize = 0): Parser {
  const p = new (HTTPParser as unknown as new () => Parser)();
  p.initialize(type === 'request' ? HTTPParser.REQUEST : HTTPParser.RESPONSE, {}, maxHeaderSize, 0);
  return p;
}
