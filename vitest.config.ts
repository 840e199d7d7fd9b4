import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // chDB allows one engine per process and crashes when two worker threads
    // each open one: every test file gets its own child process.
    pool: 'forks',
    // As install.sh's launcher starts encode_image: Node 20 has ArrayBuffer.prototype.transfer,
    // which frees decoded photos at once (src/image/release.ts), only behind this flag.
    execArgv: typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function' ? [] : ['--harmony-rab-gsab-transfer'],
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
