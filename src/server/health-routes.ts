import type { FastifyInstance } from 'fastify';
import type { JobManager } from './job-manager.js';

/**
 * `GET /health`, open even when the server has a token: liveness for load balancers and `forge serve` users, and
 * whether the server runs a pipeline (so the UI asks for its status only then, rather than meeting a 404).
 */
export function registerHealthRoutes(app: FastifyInstance, manager: JobManager, version: string, pipeline = false): void {
  const started = Date.now();
  app.get('/health', { schema: { summary: 'Liveness: version, uptime and running jobs', tags: ['server'] } }, async () => ({
    status: 'ok' as const,
    version,
    uptimeSeconds: Math.round((Date.now() - started) / 1000),
    runningJobs: manager.runningCount(),
    pipeline,
  }));
}

/** `GET /metrics`: Prometheus text exposition (jobs by status, rows delivered, unreadable records, process memory). */
export function registerMetricsRoute(app: FastifyInstance, manager: JobManager): void {
  app.get('/metrics', { schema: { summary: 'Prometheus metrics', tags: ['server'] } }, async (_request, reply) => {
    const { byStatus, rowsDelivered, unreadable } = await manager.totals();
    const memory = process.memoryUsage();
    const lines = [
      '# HELP forge_jobs Jobs in the job history by status.',
      '# TYPE forge_jobs gauge',
      ...Object.entries(byStatus).map(([status, n]) => `forge_jobs{status="${status}"} ${n}`),
      '# HELP forge_rows_delivered_total Readings delivered by the jobs in the job history.',
      '# TYPE forge_rows_delivered_total counter',
      `forge_rows_delivered_total ${rowsDelivered}`,
      '# HELP forge_job_records_unreadable Files in the state directory skipped as unreadable job records (GET /api/jobs/unreadable).',
      '# TYPE forge_job_records_unreadable gauge',
      `forge_job_records_unreadable ${unreadable}`,
      '# HELP process_resident_memory_bytes Resident memory of the server process.',
      '# TYPE process_resident_memory_bytes gauge',
      `process_resident_memory_bytes ${memory.rss}`,
      '# HELP nodejs_heap_used_bytes V8 heap in use.',
      '# TYPE nodejs_heap_used_bytes gauge',
      `nodejs_heap_used_bytes ${memory.heapUsed}`,
    ];
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(`${lines.join('\n')}\n`);
  });
}
