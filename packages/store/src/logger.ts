/** The logging the store needs; a pino logger fits. */
export interface StoreLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = () => {};
export const silentLogger: StoreLogger = { debug: noop, info: noop, warn: noop, error: noop };
