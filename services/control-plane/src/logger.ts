import pino, { type Logger } from 'pino';

/** One root logger per service: JSON, or pretty when stderr/stdout is a terminal. */
export function createLogger(level: string, name = 'causeway-cp'): Logger {
  const pretty = process.stdout.isTTY;
  return pino({
    name,
    level,
    redact: { paths: ['req.headers.authorization', '*.token', '*.password', 'data'], censor: '[redacted]' },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } } : {}),
  });
}
