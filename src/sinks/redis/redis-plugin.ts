import { checkedText, defineSink, intSetting } from '../sink-plugin.js';
import { DEFAULT_REDIS_MAXLEN, DEFAULT_REDIS_STREAM, defaultRedisUrl, redisStreamProblem, redisUrlProblem } from './redis-options.js';

/** A Redis stream, one entry per reading, the job's progress in the same transactions (exactly once). */
export const redisPlugin = defineSink({
  name: 'redis',
  title: 'Redis Streams',
  summary: 'a Redis stream (XADD, MAXLEN ~), one entry per reading, consumer-group friendly, exactly once across a resume',
  streams: true,
  options: {
    redisUrl: { schema: checkedText(redisUrlProblem), arg: '<url>', help: 'Redis server (default: $FORGE_REDIS_URL or redis://127.0.0.1:6379)' },
    redisStream: { schema: checkedText(redisStreamProblem), arg: '<key>', help: 'the stream key', default: DEFAULT_REDIS_STREAM },
    redisMaxlen: { schema: intSetting(0, 1_000_000_000), arg: '<n>', help: 'entries the stream keeps, about (MAXLEN ~; 0 keeps all)', default: DEFAULT_REDIS_MAXLEN },
    redisGroup: { schema: checkedText(redisStreamProblem), arg: '<name>', help: 'a consumer group to create (from the stream\'s start) when absent' },
  },
  uiFields: ['redisUrl', 'redisStream'],
  create: async (values, { onStatus, env }) =>
    new (await import('./redis-stream-sink.js')).RedisStreamSink({
      url: values.redisUrl ?? defaultRedisUrl(env),
      ...(values.redisStream !== undefined ? { stream: values.redisStream } : {}),
      ...(values.redisMaxlen !== undefined ? { maxLen: values.redisMaxlen } : {}),
      ...(values.redisGroup !== undefined ? { group: values.redisGroup } : {}),
      ...(onStatus ? { onStatus } : {}),
    }),
});
