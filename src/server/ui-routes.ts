import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** The built web UI (vite build): dist/ui beside dist/server, found the same way from src/server in development. */
export const UI_DIR = fileURLToPath(new URL('../../dist/ui', import.meta.url));

/**
 * Content security for the UI's pages: scripts and styles from this server only, no inline script, nothing fetched
 * from elsewhere. Data is rendered as text by the pages; this stops injected markup from running even if some were.
 */
const UI_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/**
 * Serves the UI at / (index.html and its hashed assets). Without a build, / answers 503 with how to build it, and
 * the API works as before. The pages are public; every call they make to /api needs the token when the server has one.
 */
export async function registerUiRoutes(app: FastifyInstance, dir = UI_DIR): Promise<void> {
  if (!existsSync(`${dir}/index.html`)) {
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply.status(503).type('text/plain; charset=utf-8').send('The web UI is not built: run `npm run build` (or `npm ci`, which builds it), then restart forge serve.\n'),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    index: ['index.html'],
    wildcard: false,
    setHeaders: (reply, path) => {
      // Hashed assets never change; index.html must be fetched again to pick up a new build.
      reply.headers({
        'content-security-policy': UI_CSP,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cache-control': path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      });
    },
  });
}
