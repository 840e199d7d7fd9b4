import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // chDB allows one engine per process and crashes when two worker threads
    // each open one: every test file gets its own child process.
    pool: 'forks',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
