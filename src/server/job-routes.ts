import type { FastifyInstance } from 'fastify';
import type { JobRecord, JobStats } from '../jobs/job-store.js';
import type { SinkStatusEvent } from '../jobs/sink-factory.js';
import type { JobManager } from './job-manager.js';

const jobBody = {
  type: 'object',
  description: 'kind "batch" or "stream"; scenario: the scenario keys of a config file; output: the output settings (sink, out, ...); stream: from, duration, speed, missingRate, lateRate, outOfOrderRate, duplicateRate, batchRows',
  properties: {
    kind: { type: 'string', enum: ['batch', 'stream'] },
    scenario: { type: 'object', additionalProperties: true },
    output: { type: 'object', additionalProperties: true },
    stream: { type: 'object', additionalProperties: true },
  },
} as const;

const idParams = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } as const;

/** How often an SSE client hears a running job's latest stats. */
const SSE_EVERY_MS = 1_000;

/** The jobs API: start, history, one record, stop, resume, recent readings and live events. */
export function registerJobRoutes(app: FastifyInstance, manager: JobManager): void {
  app.post('/api/jobs', { schema: { summary: 'Start a batch or stream job in the background', tags: ['jobs'], body: jobBody } }, async (request, reply) => {
    const record = await manager.start(request.body);
    return reply.status(201).send(record);
  });

  app.get('/api/jobs', { schema: { summary: 'Job history, newest first', tags: ['jobs'] } }, async () => manager.list());

  app.get<{ Params: { id: string } }>('/api/jobs/:id', { schema: { summary: "One job's record", tags: ['jobs'], params: idParams } }, async (request) =>
    manager.get(request.params.id),
  );

  app.post<{ Params: { id: string } }>(
    '/api/jobs/:id/stop',
    { schema: { summary: 'Stop a running job gracefully (flush and close its sinks); answers with its final record', tags: ['jobs'], params: idParams } },
    async (request) => manager.stop(request.params.id),
  );

  app.post<{ Params: { id: string } }>(
    '/api/jobs/:id/resume',
    {
      schema: {
        summary: 'Resume a stopped or interrupted stream job from its last checkpoint (its sinks append; nothing is delivered twice); answers with its record, running again',
        description: 'As `forge stream --resume`: a batch job, a running job or a completed one answers 409 FORGE_ERR_JOB_STATE; an unknown job 404.',
        tags: ['jobs'],
        params: idParams,
      },
    },
    async (request) => manager.resume(request.params.id),
  );

  app.post<{ Params: { id: string } }>(
    '/api/jobs/:id/rerun',
    {
      schema: {
        summary: "Start a new job with a recorded job's configuration; answers 201 with the new job's record",
        description: 'The same scenario, sinks and settings; a path output gets a fresh name beside the first, and a stream that started from "now" starts now. Checked like POST /api/jobs.',
        tags: ['jobs'],
        params: idParams,
      },
    },
    async (request, reply) => reply.status(201).send(await manager.rerun(request.params.id)),
  );

  app.get<{ Params: { id: string } }>(
    '/api/jobs/:id/recent',
    {
      schema: {
        summary: 'The last readings (about 20) a running job delivered, as flat records (the shape of /api/preview); none for a job that is not running',
        tags: ['jobs'],
        params: idParams,
      },
    },
    async (request) => manager.recent(request.params.id),
  );

  app.get<{ Params: { id: string } }>(
    '/api/jobs/:id/events',
    {
      schema: {
        summary: 'Server-sent events: `stats` about once a second with `recent` (the last readings delivered, flat records), `sink` when a sink loses or regains its destination, then `end` with the final record',
        tags: ['jobs'],
        params: idParams,
      },
    },
    async (request, reply) => {
      const live = manager.events(request.params.id);
      // A job that is not running here: its record (404 when unknown), then one end event.
      const finished = live ? undefined : await manager.get(request.params.id);
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      const send = (event: string, data: unknown): void => void raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      if (!live) {
        send('stats', finished!.stats);
        send('end', finished);
        raw.end();
        return;
      }
      let latest: JobStats = live.record().stats;
      const onStats = (stats: JobStats): void => void (latest = stats);
      const onStatus = (event: SinkStatusEvent): void => send('sink', event);
      const tick = (): void => {
        send('stats', latest);
        const readings = live.recent();
        if (readings.length > 0) send('recent', { readings });
      };
      const timer = setInterval(tick, SSE_EVERY_MS);
      const cleanup = (): void => {
        clearInterval(timer);
        live.events.off('stats', onStats);
        live.events.off('status', onStatus);
        live.events.off('end', onEnd);
      };
      const onEnd = (record: JobRecord): void => {
        cleanup();
        send('stats', record.stats);
        send('end', record);
        raw.end();
      };
      live.events.on('stats', onStats);
      live.events.on('status', onStatus);
      live.events.once('end', onEnd);
      request.raw.once('close', cleanup);
      tick();
    },
  );
}
