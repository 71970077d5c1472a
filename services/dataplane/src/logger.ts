import pino, { type Logger } from 'pino';

/**
 * The one root logger of causeway-dp: JSON lines on stderr (stdout carries the access log, as with
 * Envoy). Components take child loggers.
 */
export function createLogger(level: string, name = 'causeway-dp'): Logger {
  return pino({ name, level, redact: { paths: ['*.token', '*.private_key', 'authorization'], censor: '[redacted]' } }, pino.destination(2));
}
