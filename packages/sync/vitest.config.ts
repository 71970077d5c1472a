import { defineConfig } from 'vitest/config';

// Some suites start a nats-server and several stores: give hooks and tests room.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
