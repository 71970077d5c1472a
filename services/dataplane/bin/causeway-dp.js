#!/usr/bin/env node
// Checked-in entry point: npm links a workspace's bins at install time only when the target file exists,
// and dist/ only appears with the build, so the bin points here rather than at dist/main.js.
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('causeway-dp is not built yet: run "npm run build" at the repository root\n');
  process.exit(1);
}
await import(main.href);
