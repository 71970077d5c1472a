#!/usr/bin/env node
import { closeOnSignal, runMain } from '@causeway/service';
import { ConfigurationError, loadConfig, USAGE } from './config.js';
import { createLogger } from './logger.js';
import { startDataplane, VERSION } from './run.js';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'version' || command === '--version') {
    console.log(VERSION);
    return 0;
  }
  if (command !== 'run') {
    const help = command === 'help' || command === '--help' || command === '-h';
    console.error(command === undefined || help ? USAGE : `unknown command "${command}"\n\n${USAGE}`);
    return help ? 0 : 2;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(rest, process.env);
  } catch (e) {
    console.error(`causeway-dp: ${(e as Error).message}`);
    return 2;
  }
  const logger = createLogger(config.logLevel);
  let dp: Awaited<ReturnType<typeof startDataplane>>;
  try {
    dp = await startDataplane(config, logger);
  } catch (e) {
    if (e instanceof ConfigurationError) {
      console.error(`causeway-dp: ${e.message}`);
      return 2;
    }
    logger.fatal({ err: e }, 'failed to start');
    return 1;
  }
  await closeOnSignal(() => dp.close(), logger);
  return 0;
}

runMain(() => main(process.argv.slice(2)));
