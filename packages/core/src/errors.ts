/**
 * One error class for the whole project. `code` says what went wrong; `HTTP_STATUS` maps it to a status.
 * Field errors use Kuma's API error shape: `{ title, details, invalid_parameters: [{ field, reason }] }`.
 */

export type ErrorCode =
  | 'INVALID'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'ALREADY_EXISTS'
  | 'READ_ONLY'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'TOO_LARGE'
  | 'UNAVAILABLE'
  | 'INTERNAL';

export interface FieldError {
  /** Dotted path with array indices, e.g. `networking.tls.caCert` or `inbound[0].tags`. */
  field: string;
  reason: string;
}

export const HTTP_STATUS: Record<ErrorCode, number> = {
  INVALID: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  READ_ONLY: 405,
  CONFLICT: 409,
  ALREADY_EXISTS: 409,
  TOO_LARGE: 413,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

const TITLES: Record<ErrorCode, string> = {
  INVALID: 'Resource is not valid',
  UNAUTHORIZED: 'Unauthorized',
  FORBIDDEN: 'Forbidden',
  NOT_FOUND: 'Not found',
  READ_ONLY: 'Method not allowed',
  CONFLICT: 'Conflict',
  ALREADY_EXISTS: 'Resource already exists',
  TOO_LARGE: 'Request too large',
  UNAVAILABLE: 'Unavailable',
  INTERNAL: 'Internal error',
};

export class CausewayError extends Error {
  readonly code: ErrorCode;
  readonly fields: FieldError[];

  constructor(code: ErrorCode, message: string, fields: FieldError[] = [], options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CausewayError';
    this.code = code;
    this.fields = fields;
  }

  get status(): number {
    return HTTP_STATUS[this.code];
  }

  /** Kuma's API error body. */
  toApiError(): ApiErrorBody {
    return {
      title: TITLES[this.code],
      details: this.message,
      ...(this.fields.length > 0
        ? { invalid_parameters: this.fields.map((f) => ({ field: f.field, reason: f.reason })) }
        : {}),
    };
  }

  /** One readable line per field, for CLIs and logs. */
  describe(): string {
    if (this.fields.length === 0) return this.message;
    return [this.message, ...this.fields.map((f) => `  ${f.field}: ${f.reason}`)].join('\n');
  }
}

export interface ApiErrorBody {
  title: string;
  details: string;
  invalid_parameters?: { field: string; reason: string }[];
}

export function invalid(fields: FieldError[], message = 'Resource is not valid'): CausewayError {
  return new CausewayError('INVALID', message, fields);
}

export function notFound(message: string): CausewayError {
  return new CausewayError('NOT_FOUND', message);
}

export function conflict(message: string, fields: FieldError[] = []): CausewayError {
  return new CausewayError('CONFLICT', message, fields);
}

export function isCausewayError(e: unknown, code?: ErrorCode): e is CausewayError {
  return e instanceof CausewayError && (code === undefined || e.code === code);
}
