import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // e2e tests start real sshd and MPI processes; two cores do not like many at once.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
