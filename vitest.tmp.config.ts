import { defineConfig } from 'vitest/config';
export default defineConfig({ test: { root: '/work/main', pool: 'forks', include: ['test/**/*.test.ts'], globalSetup: ['test/setup/tmp-gs.ts'], testTimeout: 120000, hookTimeout: 300000 } });
