/**
 * Stage key of a job's transformer file (the stage sink lands it when it opens; the pipeline's loader keeps it in
 * transformer_ratings for gold loading to join): beside the readings' raw/ami tree, one NDJSON file per job and
 * shard, `raw/transformers/transformers_<job tag>[-shard-i-of-n].ndjson[.gz]`, a line per transformer its meters
 * are behind (fleet/transformer-records.ts). The name is the job's only, so a resumed run finds its file there and
 * lands it no second time.
 */
export const TRANSFORMER_PREFIX = 'raw/transformers';

const TRANSFORMER_KEY = /^raw\/transformers\/transformers_([A-Za-z0-9-]+)\.ndjson(\.gz)?$/;

export function transformerStageKey(owner: string, gzip: boolean): string {
  return `${TRANSFORMER_PREFIX}/transformers_${owner}.ndjson${gzip ? '.gz' : ''}`;
}

export function parseTransformerKey(key: string): { readonly owner: string; readonly gzip: boolean } | null {
  const m = TRANSFORMER_KEY.exec(key);
  return m ? { owner: m[1]!, gzip: m[2] !== undefined } : null;
}
