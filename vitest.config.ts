import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // s3rver (the in-process S3 server of the stage tests) signs paginated listings with MD5, which Node 20's
    // OpenSSL 3 only offers with the legacy provider.
    execArgv: ['--openssl-legacy-provider'],
  },
});
