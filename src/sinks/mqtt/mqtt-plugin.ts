import { checkedText, defineSink } from '../sink-plugin.js';
import { defaultMqttUrl, mqttUrlProblem } from './mqtt-options.js';

/** An MQTT broker, QoS 1, one topic per meter. */
export const mqttPlugin = defineSink({
  name: 'mqtt',
  title: 'MQTT',
  summary: 'an MQTT broker, QoS 1, one topic per meter (ami/<area>/<meter>)',
  streams: true,
  options: {
    mqttUrl: { schema: checkedText(mqttUrlProblem), arg: '<url>', help: 'MQTT broker (default: $FORGE_MQTT_URL or mqtt://127.0.0.1:1883)' },
  },
  uiFields: ['mqttUrl'],
  create: async (values, { onStatus, env }) => new (await import('./mqtt-sink.js')).MqttSink({ url: values.mqttUrl ?? defaultMqttUrl(env), ...(onStatus ? { onStatus } : {}) }),
});
