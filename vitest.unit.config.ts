import { defineConfig } from 'vitest/config';

/** Unit tests only: no services started. `npm run test:unit`. */
export default defineConfig({
  test: {
    pool: 'forks',
    include: ['test/unit/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
