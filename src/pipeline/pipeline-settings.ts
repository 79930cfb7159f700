/**
 * DuckDB settings of the pipeline database (`forge ingest --out`, `forge serve --pipeline-out`). DuckDB's buffer pool
 * otherwise grows to 80% of the machine's memory and keeps what a pass touched: one pass over 960,000 readings peaked
 * at 2.1 GB. Under this limit DuckDB spills to `<database>.tmp` beside the file and evicts what it cached; with bronze
 * and silver loaded in batches (stage-loader.ts, reading-file-load.ts; silver typed from bronze in chunks:
 * silver-refresh.ts), the process (DuckDB's memory outside its pool included) peaked at 0.68-0.84 GB for that pass
 * and 0.83-0.91 GB for three days of it in one pass (docs/PERFORMANCE.md).
 */
export const PIPELINE_SETTINGS: Readonly<Record<string, string>> = { memory_limit: '256MB' };
