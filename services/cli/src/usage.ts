/**
 * Usage errors found by a command (a bad flag value or combination, a missing NAME): printed like any
 * error, each field naming the flag, and the CLI exits 2 as it does for commander's own usage errors.
 */
import { CausewayError, type FieldError } from '@causeway/core';

export class UsageError extends CausewayError {
  constructor(message: string, fields: FieldError[]) {
    super('INVALID', message, fields);
  }
}

/** A usage error about one flag (or argument). */
export function usageError(field: string, message: string, reason: string): UsageError {
  return new UsageError(message, [{ field, reason }]);
}
