/**
 * Flag value parsers shared by the commands (commander calls them; an InvalidArgumentError is a usage
 * error, exit 2, naming the flag).
 */
import { InvalidArgumentError } from 'commander';

/** A repeatable flag's values, in order. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function pageSize(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 1000) throw new InvalidArgumentError('must be an integer between 1 and 1000');
  return n;
}
