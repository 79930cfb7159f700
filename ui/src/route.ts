import { useEffect, useState } from 'preact/hooks';

export type Page = 'generate' | 'monitor' | 'validate' | 'explore' | 'history';
export const PAGES: readonly { readonly page: Page; readonly title: string }[] = [
  { page: 'generate', title: 'Generate' },
  { page: 'monitor', title: 'Monitor' },
  { page: 'validate', title: 'Validate' },
  { page: 'explore', title: 'Explore' },
  { page: 'history', title: 'History' },
];

export interface Route {
  readonly page: Page;
  /** A job id after the page: #/monitor/<job>, #/validate/<job>. */
  readonly jobId: string | null;
}

export function parseRoute(hash: string): Route {
  const [, page, id] = /^#\/?([a-z]*)\/?(.*)$/.exec(hash) ?? [];
  const known = PAGES.find((p) => p.page === page)?.page ?? 'generate';
  return { page: known, jobId: id ? decodeURIComponent(id) : null };
}

export const href = (page: Page, jobId?: string | null): string => `#/${page}${jobId ? `/${encodeURIComponent(jobId)}` : ''}`;

export function navigate(page: Page, jobId?: string | null): void {
  window.location.hash = href(page, jobId);
}

/** The current hash route; pages are addressable (#/monitor/<job>) and the back button works. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = (): void => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
