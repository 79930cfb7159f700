import type { FastifyInstance } from 'fastify';
import { FLEET_PRESETS, PRESETS } from '../scenario/presets.js';
import { SERVICE_AREAS } from '../scenario/service-areas.js';
import { sinkCatalog } from '../sinks/sink-catalog.js';

/** What a client offers to choose from: job presets, fleet presets, service areas and sinks. */
export function registerCatalogRoutes(app: FastifyInstance): void {
  app.get('/api/presets', { schema: { summary: 'Job presets (meters x days at 15 minutes)', tags: ['catalog'] } }, async () =>
    Object.values(PRESETS).map((p) => ({ ...p, rows: p.meters * p.days * (1440 / p.intervalMinutes) })),
  );
  app.get('/api/fleet-presets', { schema: { summary: 'Fleet presets (meters)', tags: ['catalog'] } }, async () => Object.values(FLEET_PRESETS));
  app.get('/api/service-areas', { schema: { summary: 'Service areas', tags: ['catalog'] } }, async () =>
    Object.values(SERVICE_AREAS).map((a) => ({
      name: a.name,
      iso: a.iso,
      code: a.code,
      city: a.city,
      timeZone: a.timeZone,
      latitude: a.latitude,
      longitude: a.longitude,
      mix: a.mix,
      pvShare: a.pvShare,
      evShare: a.evShare,
    })),
  );
  app.get('/api/sinks', { schema: { summary: 'Sinks: what each writes, whether it streams, its settings (the registry)', tags: ['catalog'] } }, async () => sinkCatalog());
}
