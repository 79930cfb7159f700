/** Where the DuckDB sink writes when no path is given (relative to the working directory). */
export const DEFAULT_DUCKDB_PATH = './forge-data/forge.duckdb';
