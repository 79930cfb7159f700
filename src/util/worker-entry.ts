/** How to start a worker thread on a module: a script (file URL) or, with `eval`, the source of a small script. */
export interface WorkerEntry {
  readonly script: string | URL;
  readonly eval: boolean;
}

/**
 * The worker script `name` next to the calling module (`moduleUrl`, the caller's import.meta.url). From compiled
 * JavaScript it is `<name>.js`; when the caller runs as TypeScript source (tests, development) the worker is the .ts
 * file, loaded through tsx's module hooks (a development dependency only). tsx is resolved here, from this module's
 * location: a bare 'tsx' inside the eval'd worker script would resolve from the process's working directory and fail
 * anywhere but the project root.
 */
export function workerEntry(moduleUrl: string, name: string): WorkerEntry {
  if (!moduleUrl.endsWith('.ts')) return { script: new URL(`./${name}.js`, moduleUrl), eval: false };
  const source = new URL(`./${name}.ts`, moduleUrl).href;
  const tsxApi = import.meta.resolve('tsx/esm/api');
  return {
    script: `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); });`,
    eval: true,
  };
}
