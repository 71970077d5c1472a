/** Node's HTTP parser binding (llhttp), the one node:http itself uses; not in @types/node. */
declare module 'node:_http_common' {
  export const HTTPParser: {
    new (): unknown;
    REQUEST: number;
    RESPONSE: number;
    kOnMessageBegin: number;
    kOnHeaders: number;
    kOnHeadersComplete: number;
    kOnBody: number;
    kOnMessageComplete: number;
    kOnExecute: number;
  };
  /** method names by llhttp's method number */
  export const methods: string[];
}
