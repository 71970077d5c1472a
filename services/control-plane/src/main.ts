#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { CausewayError } from '@causeway/core';
import { closeOnSignal, runMain } from '@causeway/service';
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
  await closeOnSignal(() => cp.close(), logger);
  return 0;
}

runMain(() => main(process.argv.slice(2)));
