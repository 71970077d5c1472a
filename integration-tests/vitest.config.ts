import { defineConfig } from 'vitest/config';

// Real processes: generous per-test and hook timeouts; one file at a time (they start servers).
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'bench/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
