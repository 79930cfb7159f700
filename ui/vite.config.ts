import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The web UI: Preact pages built into dist/ui, which `forge serve` serves at /. In development, `npx vite --config
 * ui/vite.config.ts` serves the pages with hot reload and forwards /api, /health and /metrics to a running server.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/ui', import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8080', '/health': 'http://127.0.0.1:8080', '/metrics': 'http://127.0.0.1:8080' },
  },
});
