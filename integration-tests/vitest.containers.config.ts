import { defineConfig } from 'vitest/config';

// The container suite (src/containers/*.ctr.ts): one file at a time, minutes-long hooks (images may be
// built, a control plane on a fresh PGlite store starts slowly on 2 cores).
export default defineConfig({
  test: {
    include: ['src/containers/**/*.ctr.ts'],
    testTimeout: 120_000,
    hookTimeout: 900_000,
    fileParallelism: false,
  },
});
