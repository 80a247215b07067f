import { defineConfig } from 'vitest/config';

// Two projects: unit tests of pure code sit beside it and need nothing running; the tests in
// test/ talk to real servers, so only that project brings the stack up.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{runtime,commcare,connectors,processors,server,schemas,cli,bench}/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/support/kafkajs-timers-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
