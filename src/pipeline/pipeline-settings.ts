/**
 * DuckDB settings of the pipeline database (`forge ingest --out`, `forge serve --pipeline-out`). DuckDB's buffer pool otherwise grows to 80% of the
 * machine's memory and keeps what a pass touched: one pass over 960,000 readings peaked at 2.1 GB. Under this limit
 * DuckDB spills to `<database>.tmp` beside the file and evicts what it cached; with bronze loaded in batches
 * (stage-loader.ts) and silver typed in chunks (silver-refresh.ts), a pass of any size peaks under 1 GB (the process,
 * DuckDB's working memory outside its pool included; docs/PERFORMANCE.md).
 */
export const PIPELINE_SETTINGS: Readonly<Record<string, string>> = { memory_limit: '256MB' };
