import type { ComponentChildren } from 'preact';
import { useEffect, useErrorBoundary, useState } from 'preact/hooks';
import { api, token, type Health } from './api.js';
import { ExplorePage } from './pages/ExplorePage.js';
import { GeneratePage } from './pages/GeneratePage.js';
import { HistoryPage } from './pages/HistoryPage.js';
import { MonitorPage } from './pages/MonitorPage.js';
import { ValidatePage } from './pages/ValidatePage.js';
import { href, PAGES, useRoute } from './route.js';

/** The shell: brand, the four pages as tabs, the server's health, and the API token when the server asks for one. */
export function App() {
  const route = useRoute();
  const [health, setHealth] = useState<Health | null>(null);
  const [down, setDown] = useState(false);
  useEffect(() => {
    const poll = (): void =>
      void api.health().then(
        (h) => {
          setHealth(h);
          setDown(false);
        },
        () => setDown(true),
      );
    poll();
    const timer = window.setInterval(poll, 3_000);
    return () => window.clearInterval(timer);
    // Polled again on every page change too, so the running count follows what the user just did.
  }, [route.page, route.jobId]);

  return (
    <div class="shell">
      <header class="topbar">
        <div class="brand">
          <span class="logo" aria-hidden="true">⚡</span>
          <span>Flux Data Forge</span>
        </div>
        <nav class="tabs" aria-label="Pages">
          {PAGES.map((p) => (
            <a key={p.page} href={href(p.page)} class={route.page === p.page ? 'tab active' : 'tab'} aria-current={route.page === p.page ? 'page' : undefined}>
              {p.title}
            </a>
          ))}
        </nav>
        <div class="server" data-testid="server-health">
          <span class={down ? 'dot bad' : 'dot ok'} />
          {down ? 'server unreachable' : health ? `v${health.version} · ${health.runningJobs} running` : '…'}
        </div>
      </header>
      <TokenBar />
      <main class="page">
        <PageBoundary key={`${route.page}/${route.jobId ?? ''}`}>
          {route.page === 'generate' && <GeneratePage />}
          {route.page === 'monitor' && <MonitorPage jobId={route.jobId} />}
          {route.page === 'validate' && <ValidatePage jobId={route.jobId} />}
          {route.page === 'explore' && <ExplorePage jobId={route.jobId} />}
          {route.page === 'history' && <HistoryPage />}
        </PageBoundary>
      </main>
    </div>
  );
}

/** Shown when the server has a token (GET /api/presets answers 401): asks for it once per browser session. */
function TokenBar() {
  const [needed, setNeeded] = useState(false);
  const [value, setValue] = useState('');
  useEffect(() => {
    api.presets().catch((e: { status?: number }) => setNeeded(e.status === 401));
  }, []);
  if (!needed) return null;
  return (
    <form
      class="tokenbar"
      onSubmit={(e) => {
        e.preventDefault();
        token.set(value);
        window.location.reload();
      }}
    >
      <label>
        This server needs its API token (FORGE_API_TOKEN):{' '}
        <input type="password" value={value} onInput={(e) => setValue(e.currentTarget.value)} autocomplete="off" />
      </label>
      <button type="submit">Use token</button>
    </form>
  );
}

/** A page that fails to render shows its error (as text) instead of a broken page; moving to another page retries. */
function PageBoundary({ children }: { children: ComponentChildren }) {
  const [error, reset] = useErrorBoundary();
  if (!error) return <>{children}</>;
  return (
    <div class="error" role="alert">
      This page failed: {error instanceof Error ? error.message : String(error)}{' '}
      <button type="button" onClick={reset}>
        Try again
      </button>
    </div>
  );
}
