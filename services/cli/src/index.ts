export { buildProgram, runCli, VERSION } from './cli.js';
export type { CliIo } from './io.js';
export { processIo } from './io.js';
export * from './config.js';
export { age, describeResource, formatError, renderTable, resourceTable } from './format.js';
export { resolveType } from './types.js';
