import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // PGlite needs a few seconds to start; Postgres tests create databases.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
