import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { jobRecordSchema, type JobRecord, type JobStats } from '../jobs/job-store.js';
import type { SinkStatusEvent } from '../jobs/sink-factory.js';
import { redactSecrets } from '../util/redact-secrets.js';
import { documentedRoute } from './documented-route.js';
import type { JobManager } from './job-manager.js';
import { documentedJobRequestSchema } from './job-request-schema.js';

const idParams = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } as const;

/** How often an SSE client hears a running job's latest stats. */
const SSE_EVERY_MS = 1_000;

/** The jobs API: start, history, one record, stop, resume, recent readings and live events. */
export function registerJobRoutes(app: FastifyInstance, manager: JobManager): void {
  // The job record as the routes answer with it (redacted, same fields).
  const answersRecord = { 200: jobRecordSchema };
  const answersNewRecord = { 201: jobRecordSchema };
  app.post(
    '/api/jobs',
    documentedRoute({ summary: 'Start a batch or stream job in the background', tags: ['jobs'], body: documentedJobRequestSchema, response: answersNewRecord }),
    async (request, reply) => {
      const record = await manager.start(request.body);
      return reply.status(201).send(record);
    },
  );

  app.get(
    '/api/jobs',
    documentedRoute({ summary: 'Job history, newest first (files that are not readable records are skipped: see /api/jobs/unreadable)', tags: ['jobs'], response: { 200: z.array(jobRecordSchema) } }),
    async () => manager.list(),
  );

  app.get(
    '/api/jobs/unreadable',
    { schema: { summary: 'Files in the state directory skipped as unreadable job records (empty, truncated, foreign, links), each with the reason', tags: ['jobs'] } },
    async () => ({ unreadable: await manager.unreadable() }),
  );

  app.get<{ Params: { id: string } }>('/api/jobs/:id', documentedRoute({ summary: "One job's record", tags: ['jobs'], params: idParams, response: answersRecord }), async (request) =>
    manager.get(request.params.id),
  );

  app.post<{ Params: { id: string } }>(
    '/api/jobs/:id/stop',
    documentedRoute({ summary: 'Stop a running job gracefully (flush and close its sinks); answers with its final record', tags: ['jobs'], params: idParams, response: answersRecord }),
    async (request) => manager.stop(request.params.id),
  );

  app.post<{ Params: { id: string } }>(
    '/api/jobs/:id/resume',
    documentedRoute({
      summary: 'Resume a stopped, interrupted or failed job from its checkpoint; answers with its record, running again',
      description:
        'A stream job continues as `forge stream --resume`; a batch job is completed as `forge generate --resume`: exactly its scenario, each sink sent only the batches it does not hold (README: delivery per sink). A running job or a completed one answers 409 FORGE_ERR_JOB_STATE; an unknown job 404.',
      tags: ['jobs'],
      params: idParams,
      response: answersRecord,
    }),
    async (request) => manager.resume(request.params.id),
  );

  app.post<{ Params: { id: string } }>(
    '/api/jobs/:id/rerun',
    documentedRoute({
      summary: "Start a new job with a recorded job's configuration; answers 201 with the new job's record",
      description: 'The same scenario, sinks and settings; a path output gets a fresh name beside the first, and a stream that started from "now" starts now. Checked like POST /api/jobs.',
      tags: ['jobs'],
      params: idParams,
      response: answersNewRecord,
    }),
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
      // Every event through the one redaction: a sink's error (stats, `sink`) may quote a URL a client library wrote.
      const send = (event: string, data: unknown): void => void raw.write(`event: ${event}\ndata: ${JSON.stringify(redactSecrets(data))}\n\n`);
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
