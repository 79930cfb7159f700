import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startJob, useTestServer, waitForJob } from '../support/server-jobs.js';

const t = useTestServer('forge-api-labels-');

describe('API: anomalyRate and the labels summary', () => {
  it('takes scenario.anomalyRate, and the finished record reports label windows and the rates achieved', async () => {
    const record = await startJob(t.server, {
      kind: 'batch',
      scenario: { meters: 30, days: 3, start: '2025-05-01', interval: 60, anomalyRate: { meter_fault: 0.05, usage_spike: 0.1 } },
      output: { sink: ['duckdb'], out: 'labels.duckdb' },
    });
    expect(record.scenario).toMatchObject({ anomalyRate: { meter_fault: 0.05, usage_spike: 0.1 } });
    const done = await waitForJob(t.server, record.jobId);
    expect(done.status).toBe('completed');
    const labels = done.stats.labels!;
    expect(labels.meterDays).toBe(90);
    expect(labels.windows.METER_FAULT).toBeGreaterThan(0);
    expect(labels.achievedRates.usage_spike).toBeGreaterThan(0.03);
    expect(Object.keys(labels.achievedRates).sort()).toEqual(['comm_gap', 'meter_fault', 'outage', 'theft', 'usage_spike', 'voltage_sag', 'voltage_swell']);
  });

  it('answers a bad anomalyRate 400 naming the field, and starts nothing', async () => {
    const res = await t.server.inject({ method: 'POST', url: '/api/jobs', payload: { kind: 'batch', scenario: { anomalyRate: 'theft=3' }, output: { sink: ['duckdb'], out: 'never.duckdb' } } });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ code: string; message: string }>()).toMatchObject({ code: 'FORGE_ERR_INVALID_CONFIG', message: expect.stringMatching(/anomalyRate/) });
    expect(existsSync(join(t.dir, 'never.duckdb'))).toBe(false);
  });
});
