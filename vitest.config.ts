import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // expect.poll gives up after 1 s by default: too soon on a loaded 2-core CI machine (a fleet-metrics poll of the
    // browser test failed that way). Polls wait for their condition up to 30 s unless they say otherwise.
    expect: { poll: { timeout: 30_000, interval: 100 } },
    pool: 'forks',
    // s3rver (the in-process S3 server of the stage tests) signs paginated listings with MD5, which Node 20's
    // OpenSSL 3 only offers with the legacy provider.
    execArgv: ['--openssl-legacy-provider'],
  },
});
