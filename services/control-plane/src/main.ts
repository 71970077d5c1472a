#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { CausewayError } from '@causeway/core';
import { loadConfig, USAGE } from './config.js';
import { createLogger } from './logger.js';
import { startControlPlane, VERSION } from './run.js';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'version' || command === '--version') {
    console.log(VERSION);
    return 0;
  }
  if (command !== 'run') {
    console.error(command === undefined || command === 'help' || command === '--help' ? USAGE : `unknown command "${command}"\n\n${USAGE}`);
    return command === 'help' || command === '--help' ? 0 : 2;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig({ argv: rest, env: process.env, readFile: (p) => readFileSync(p, 'utf8') });
  } catch (e) {
    console.error(`causeway-cp: ${e instanceof CausewayError ? e.describe() : (e as Error).message}`);
    return 2;
  }
  const logger = createLogger(config.logLevel);
  let cp: Awaited<ReturnType<typeof startControlPlane>>;
  try {
    cp = await startControlPlane(config, logger);
  } catch (e) {
    logger.fatal({ err: e }, 'failed to start');
    return 1;
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      const force = setTimeout(() => {
        logger.error('shutdown took longer than 10 s; exiting');
        process.exit(1);
      }, 10_000);
      force.unref();
      cp.close().then(resolve, (err) => {
        logger.error({ err }, 'error while shutting down');
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Let pino flush, then exit even if a library left a handle open.
    setTimeout(() => process.exit(code), 200).unref();
  },
  (err) => {
    console.error(err);
    process.exitCode = 1;
  },
);
