/**
 * Stage keys of anomaly labels (the stage sink's writeLabels, the pipeline's loader): beside the readings' raw/ami
 * tree, one NDJSON file per job (and shard) per local date that closed windows, named by the batch it goes with:
 * `raw/labels/date=YYYY-MM-DD/anomaly_labels_<job tag>[-shard-i-of-n]_<batch, 6+ digits>.ndjson[.gz]`. The name is
 * the job's and the batch's only, so a resumed run that sends a date's windows again finds its file there.
 */
export const LABEL_PREFIX = 'raw/labels';

const LABEL_KEY = /^raw\/labels\/date=(\d{4}-\d{2}-\d{2})\/anomaly_labels_([A-Za-z0-9-]+)_(\d{6,})\.ndjson(\.gz)?$/;

export function labelStageKey(localDate: string, owner: string, sequence: number, gzip: boolean): string {
  return `${LABEL_PREFIX}/date=${localDate}/anomaly_labels_${owner}_${String(sequence).padStart(6, '0')}.ndjson${gzip ? '.gz' : ''}`;
}

export function parseLabelKey(key: string): { readonly localDate: string; readonly owner: string; readonly sequence: number; readonly gzip: boolean } | null {
  const m = LABEL_KEY.exec(key);
  return m ? { localDate: m[1]!, owner: m[2]!, sequence: Number(m[3]), gzip: m[4] !== undefined } : null;
}
