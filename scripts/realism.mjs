#!/usr/bin/env node
// npm run realism [-- flags]: compares generated residential load with measured households (EDRP, central Scotland,
// March-May 2009, ../shared/reference-data/) on shape and variability statistics at 30 minutes, and exits 1 if any
// statistic is outside its band, so it can gate a change to the load model. Runs on the built dist/ (like bench/).
import { parseArgs } from 'node:util';
import { collectGeneratedHouseholds } from '../dist/validate/generated-households.js';
import { compareHouseholdStatistics, DEFAULT_BANDS, householdStatistics, normaliseProfile } from '../dist/validate/household-statistics.js';
import { loadReferenceHouseholds, referenceDataPath, REFERENCE_ENV } from '../dist/validate/reference-households.js';
import { resolveScenario } from '../dist/scenario/scenario.js';

const USAGE = `Usage: npm run realism -- [options]

Generates a residential scenario, sums its readings to 30 minutes and compares it with the measured EDRP households.

  --area <name>        service area (default PACIFIC_NORTHWEST, the closest climate to central Scotland)
  --meters <n>         meters (default 300)
  --days <n>           days (default 92, as the reference: 1 March to 31 May)
  --start <date>       first day, YYYY-MM-DD (default 2025-03-01)
  --seed <n>           seed (default 42)
  --interval <min>     reading interval, 5, 15 or 30 (default 15)
  --scenario <json>    further scenario keys, merged last, e.g. '{"pvShare":0.2}' (keys the schema knows)
  --json               machine-readable output
  -h, --help           this text

The comparison asks for no rooftop PV and no EVs ({"pvShare":0,"evShare":0}) when the scenario schema knows those keys.
Reference file: $${REFERENCE_ENV} (the CSV or its directory), else ../shared/reference-data/ beside the repository.
Exit codes: 0 every statistic within its band, 1 some statistic outside it, 2 bad input, missing reference data or
any other error.`;

/** An error to report in one line, without a stack: bad input, missing data. */
class RealismError extends Error {}

function fail(message) {
  throw new RealismError(message);
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(`realism: ${error instanceof RealismError ? error.message : error.stack}\n`);
  process.exitCode = 2;
}

/** Runs the comparison and returns the exit code. Output is written, never cut short by process.exit. */
async function main() {
  const started = performance.now();

  let args;
  try {
    args = parseArgs({
      options: {
        area: { type: 'string' },
        meters: { type: 'string' },
        days: { type: 'string' },
        start: { type: 'string' },
        seed: { type: 'string' },
        interval: { type: 'string' },
        scenario: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    fail(`${error.message}\n\n${USAGE}`);
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  let extra = {};
  if (args.scenario !== undefined) {
    try {
      extra = JSON.parse(args.scenario);
    } catch (error) {
      fail(`--scenario is not valid JSON: ${error.message}`);
    }
    if (extra === null || typeof extra !== 'object' || Array.isArray(extra)) fail('--scenario must be a JSON object of scenario keys');
  }

  const input = {
    area: args.area ?? 'PACIFIC_NORTHWEST',
    segment: 'RESIDENTIAL',
    meters: args.meters ?? 300,
    days: args.days ?? 92,
    start: args.start ?? '2025-03-01',
    interval: args.interval ?? 15,
    seed: args.seed ?? 42,
    ...extra,
  };

  /**
   * The scenario without PV and EVs where the schema has those keys (newer models), else as given: each combination of
   * the two keys is tried, largest first, and an error is reported only if the scenario fails without them too. Keys
   * the caller set in --scenario are never replaced.
   */
  function resolveWithoutPvAndEv(base) {
    const wanted = Object.entries({ pvShare: 0, evShare: 0 }).filter(([key]) => !(key in base));
    const attempts = wanted.length === 2 ? [wanted, [wanted[0]], [wanted[1]], []] : wanted.length === 1 ? [wanted, []] : [[]];
    let lastError;
    for (const attempt of attempts) {
      try {
        return { scenario: resolveScenario({ ...base, ...Object.fromEntries(attempt) }), added: Object.fromEntries(attempt) };
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  }

  let resolved;
  try {
    resolved = resolveWithoutPvAndEv(input);
  } catch (error) {
    fail(error.message);
  }
  const { scenario, added } = resolved;

  let reference;
  const referenceStarted = performance.now();
  try {
    reference = loadReferenceHouseholds(referenceDataPath());
  } catch (error) {
    fail(error.message);
  }
  if (reference.intervalMinutes !== 30) fail(`${reference.path} has ${reference.intervalMinutes}-minute readings; the comparison is at 30 minutes`);
  const referenceStats = householdStatistics(reference);
  const referenceSeconds = (performance.now() - referenceStarted) / 1000;

  const generationStarted = performance.now();
  let generated;
  try {
    generated = await collectGeneratedHouseholds(scenario, { workers: 0 });
  } catch (error) {
    fail(error.message);
  }
  const generatedStats = householdStatistics(generated);
  const generationSeconds = (performance.now() - generationStarted) / 1000;

  const rows = compareHouseholdStatistics(generatedStats, referenceStats, DEFAULT_BANDS);
  const passed = rows.every((r) => r.passed !== false);
  const generatedProfile = normaliseProfile(generatedStats.dailyProfile);
  const referenceProfile = normaliseProfile(referenceStats.dailyProfile);
  const levelPer15 = generatedStats.meanKwh / 2;
  const seconds = (performance.now() - started) / 1000;
  const clockNote =
    'Reference timestamps are taken as the local clock of Scotland as written; every day has 48 of them, so they are ' +
    'probably UTC, which is Scottish local time only until 29 March 2009 (BST, UTC+1, after it): for 64 of the 92 days ' +
    'the reference hours may be one hour earlier than the households\' clocks.';
  const levelNote = 'Levels follow the US service area (EIA), not Scotland: the mean level is reported, not compared.';

  if (args.json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          passed,
          scenario,
          scenarioKeysAdded: added,
          bands: DEFAULT_BANDS,
          reference: { path: reference.path, intervalMinutes: reference.intervalMinutes, statistics: referenceStats, clockNote },
          generated: {
            meters: generated.households.length,
            scenarioMeters: generated.scenarioMeters,
            segment: generated.segment,
            sourceIntervalMinutes: generated.sourceIntervalMinutes,
            levelKwhPer15Min: levelPer15,
            statistics: generatedStats,
            levelNote,
          },
          statistics: rows,
          normalisedDailyProfiles: Array.from({ length: 24 }, (_, hour) => ({ hour, generated: generatedProfile[hour], reference: referenceProfile[hour] })),
          seconds: { total: seconds, reference: referenceSeconds, generation: generationSeconds },
        },
        null,
        2,
      )}\n`,
    );
    return passed ? 0 : 1;
  }

  const hh = (hour) => `${String(hour).padStart(2, '0')}:00`;
  const formatValue = (key, value) => {
    if (!Number.isFinite(value)) return String(value);
    if (key === 'profilePeakHour' || key === 'profileTroughHour') return hh(value);
    if (key === 'zeroShare') return `${(value * 100).toFixed(3)}%`;
    if (key === 'profileCorrelation') return value.toFixed(3);
    return value.toPrecision(3);
  };
  const formatDifference = (d) => (d === null ? '' : `${d >= 0 ? '+' : ''}${(d * 100).toFixed(1)}%`);

  /** Text table; `left` lists the columns aligned left (the others are numbers, aligned right). */
  function table(headers, body, left) {
    const widths = headers.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
    const line = (cells) => cells.map((c, i) => (left.includes(i) ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
    return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
  }

  const out = [];
  const s = scenario;
  out.push(
    `Generated: ${generated.households.length} ${generated.segment.toLowerCase()} meters of ${generated.scenarioMeters}, ${s.area}, ` +
      `${s.days} days from ${s.start}, ${s.intervalMinutes}-minute readings summed to 30 minutes, seed ${s.seed}` +
      (Object.keys(added).length > 0 ? `, with ${JSON.stringify(added)}` : ' (this scenario schema has no pvShare/evShare keys)'),
  );
  out.push(`Reference: ${reference.households.length} households x ${reference.wallClockMs.length} half hours, ${reference.path}`);
  const skipped = [
    generatedStats.skippedHouseholds > 0 ? `generated ${generatedStats.skippedHouseholds}` : '',
    referenceStats.skippedHouseholds > 0 ? `reference ${referenceStats.skippedHouseholds}` : '',
  ].filter(Boolean);
  out.push(
    `Households left out of per-household statistics (mean not positive or constant series): ${skipped.length > 0 ? skipped.join(', ') : 'none'}`,
  );
  out.push('');
  out.push(
    table(
      ['statistic', 'generated', 'reference', 'difference', 'band', 'result'],
      rows.map((r) => [
        r.name,
        formatValue(r.key, r.generated),
        formatValue(r.key, r.reference),
        formatDifference(r.relativeDifference),
        r.band,
        r.passed === null ? 'info' : r.passed ? 'PASS' : 'FAIL',
      ]),
      [0, 4, 5],
    ),
  );
  out.push('');
  out.push(
    `Bands: ratio statistics within ±${DEFAULT_BANDS.relative * 100}% of the measured value. The daily profile is compared by shape, not level: the ` +
      `correlation of the two 24-hour mean profiles (at least ${DEFAULT_BANDS.profileCorrelation}), the peak/trough ratio ` +
      `(±${DEFAULT_BANDS.relative * 100}%) and the peak and trough hours (within ${DEFAULT_BANDS.hours} hours).`,
  );
  out.push('');
  out.push('Mean daily profile, kWh per 30 min by local hour, each normalised to mean 1:');
  out.push(
    table(
      ['hour', 'generated', 'reference', 'difference'],
      Array.from({ length: 24 }, (_, hour) => [
        hh(hour),
        generatedProfile[hour].toFixed(2),
        referenceProfile[hour].toFixed(2),
        `${generatedProfile[hour] - referenceProfile[hour] >= 0 ? '+' : ''}${(generatedProfile[hour] - referenceProfile[hour]).toFixed(2)}`,
      ]),
      [0],
    ),
  );
  out.push('');
  out.push(
    `Generated level: ${levelPer15.toFixed(3)} kWh per 15 min (${generatedStats.meanKwh.toFixed(3)} per 30 min; reference ` +
      `${referenceStats.meanKwh.toFixed(3)} per 30 min). ${levelNote}`,
  );
  out.push(clockNote);
  out.push('');
  out.push(
    `${passed ? 'PASS' : 'FAIL'}: ${rows.filter((r) => r.passed === false).length} of ${rows.filter((r) => r.passed !== null).length} statistics outside their band. ` +
      `Total ${seconds.toFixed(1)} s (reference ${referenceSeconds.toFixed(1)} s, generation and statistics ${generationSeconds.toFixed(1)} s).`,
  );
  process.stdout.write(`${out.join('\n')}\n`);
  return passed ? 0 : 1;
}
