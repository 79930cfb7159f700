import { checkedText, defineSink } from '../sink-plugin.js';
import { defaultNatsUrl, natsUrlProblem } from './nats-options.js';

/** A NATS JetStream stream, de-duplicated by message id. */
export const natsPlugin = defineSink({
  name: 'nats',
  title: 'NATS JetStream',
  summary: 'a NATS JetStream stream, de-duplicated by message id, with a checkpoint in a KV bucket (exactly once)',
  streams: true,
  options: {
    natsUrl: { schema: checkedText(natsUrlProblem), arg: '<url>', help: 'NATS server with JetStream (default: $FORGE_NATS_URL or nats://127.0.0.1:4222)' },
  },
  uiFields: ['natsUrl'],
  create: async (values, { onStatus, env }) => new (await import('./nats-sink.js')).NatsSink({ url: values.natsUrl ?? defaultNatsUrl(env), ...(onStatus ? { onStatus } : {}) }),
});
