#!/usr/bin/env node
// npm run realism [-- flags]: compares generated residential load with measured households (EDRP, central Scotland,
// March-May 2009, ../shared/reference-data/) on shape and variability statistics at 30 minutes, and exits 1 if any
// statistic is outside its band, so it can gate a change to the load model. Runs on the built dist/ (like bench/).
import { parseArgs } from 'node:util';
import { collectGeneratedHouseholds } from '../dist/validate/generated-households.js';
import { compareHouseholdStatistics, DEFAULT_BANDS, householdStatistics, normaliseProfile } from '../dist/validate/household-statistics.js';
import { loadReferenceHouseholds, referenceDataPath, REFERENCE_ENV } from '../dist/validate/reference-households.js';
import { resolveScenario } from '../dist/scenario/scenario.js';
import { CALIBRATED_BANDS, heldOutComparison } from '../dist/calibrate/held-out-comparison.js';
import { compareBuildingStatistics } from '../dist/validate/building-bands.js';
import { buildingStatistics, collectBuildings } from '../dist/validate/building-statistics.js';

const USAGE = `Usage: npm run realism -- [options]

Generates a residential scenario, sums its readings to 30 minutes and compares it with the measured EDRP households.

  --area <name>        service area (default PACIFIC_NORTHWEST, the closest climate to central Scotland)
  --meters <n>         meters (default 300)
  --days <n>           days (default 92, as the reference: 1 March to 31 May)
  --start <date>       first day, YYYY-MM-DD (default 2025-03-01)
  --seed <n>           seed (default 42)
  --interval <min>     reading interval, 5, 15 or 30 (default 15)
  --scenario <json>    further scenario keys, merged last, e.g. '{"pvShare":0.2}' (keys the schema knows)
  --building-meters <n>  meters of the commercial and industrial year (default 1500; 3/4 commercial, 1/4 industrial)
  --skip-buildings     leave out the commercial and industrial statistics
  --calibrated         calibration mode: fit a profile on the even-numbered reference homes, generate as many
                       meters over the same dates and compare with the odd-numbered homes (target: within
                       10%, profile correlation at least 0.98); --seed and --area apply
  --json               machine-readable output
  -h, --help           this text

The comparison asks for no rooftop PV and no EVs ({"pvShare":0,"evShare":0}) when the scenario schema knows those keys.
Then generates a year (2025, hourly, the same area and seed) of commercial and industrial meters and checks their
statistics by building type: annual MWh against EIA CBECS means per building, weekday/weekend ratio, opening-hours
plateau, load factor and cooling response against targets from the buildings' operating schedules (docs/REALISM.md).

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
        'building-meters': { type: 'string' },
        'skip-buildings': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        calibrated: { type: 'boolean', default: false },
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

  if (args.calibrated) return calibratedMode(args, started);

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

  /** The commercial and industrial year: its scenario, statistics, checks against their bands, and time taken. */
  async function buildingYear() {
    const started = performance.now();
    let scenario;
    try {
      scenario = resolveScenario({ area: input.area, start: '2025-01-01', days: 365, meters: args['building-meters'] ?? 1500, mix: '0/75/25', interval: 60, seed: input.seed });
    } catch (error) {
      fail(error.message);
    }
    const statistics = buildingStatistics(await collectBuildings(scenario, { workers: 0 }));
    const checks = compareBuildingStatistics(statistics);
    return { scenario, statistics, checks, passed: checks.every((c) => c.passed !== false), seconds: (performance.now() - started) / 1000 };
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
  const buildings = args['skip-buildings'] ? null : await buildingYear();
  const passed = rows.every((r) => r.passed !== false) && (buildings === null || buildings.passed);
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
          buildings,
          seconds: { total: seconds, reference: referenceSeconds, generation: generationSeconds, buildings: buildings?.seconds ?? 0 },
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
  if (buildings !== null) {
    out.push('');
    const b = buildings.scenario;
    out.push(`Commercial and industrial: ${b.meters} meters (mix ${Math.round(b.mix.COMMERCIAL * 100)}/${Math.round(b.mix.INDUSTRIAL * 100)} commercial/industrial), ${b.area}, ${b.days} days from ${b.start}, hourly, seed ${b.seed}`);
    const fmt = (v) => (Number.isFinite(v) ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3)) : String(v));
    out.push(
      table(
        ['type', 'statistic', 'generated', 'band', 'source', 'result'],
        buildings.checks.map((c) => {
          const f = c.statistic.startsWith('share of') ? (v) => `${(v * 100).toFixed(2)}%` : fmt;
          return [c.profile, c.statistic, f(c.value), c.band === null ? '' : `${f(c.band[0])}-${f(c.band[1])}`, c.source, c.passed === null ? 'info' : c.passed ? 'PASS' : 'FAIL'];
        }),
        [0, 1, 3, 4, 5],
      ),
    );
  }
  const failedRows = rows.filter((r) => r.passed === false).length + (buildings?.checks.filter((c) => c.passed === false).length ?? 0);
  const bandedRows = rows.filter((r) => r.passed !== null).length + (buildings?.checks.filter((c) => c.passed !== null).length ?? 0);
  out.push('');
  out.push(
    `${passed ? 'PASS' : 'FAIL'}: ${failedRows} of ${bandedRows} statistics outside their band. ` +
      `Total ${seconds.toFixed(1)} s (reference ${referenceSeconds.toFixed(1)} s, generation and statistics ${generationSeconds.toFixed(1)} s${buildings ? `, buildings ${buildings.seconds.toFixed(1)} s` : ''}).`,
  );
  process.stdout.write(`${out.join('\n')}\n`);
  return passed ? 0 : 1;
}

/**
 * --calibrated: the held-out test of calibration (src/calibrate/held-out-comparison.ts). Exit 0 when every compared
 * statistic of the calibrated run is within the target of the held-out homes, else 1.
 */
async function calibratedMode(args, started) {
  let reference;
  try {
    reference = loadReferenceHouseholds(referenceDataPath());
  } catch (error) {
    fail(error.message);
  }
  const seed = args.seed === undefined ? 42 : Number(args.seed);
  if (!Number.isInteger(seed) || seed < 0) fail(`--seed must be a non-negative integer, not ${args.seed}`);
  let result;
  try {
    result = await heldOutComparison(reference, { seed, ...(args.area ? { area: resolveScenario({ area: args.area }).area } : {}) });
  } catch (error) {
    fail(error.message);
  }
  const passed = result.calibrated.every((r) => r.passed !== false);
  const seconds = (performance.now() - started) / 1000;
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ passed, bands: CALIBRATED_BANDS, profile: result.profile, fitError: result.fitError, calibrated: result.calibrated, uncalibrated: result.uncalibrated, halfToHalf: result.halfToHalf, seconds }, null, 2)}\n`);
    return passed ? 0 : 1;
  }
  const pct = (r) => (r.relativeDifference === null ? '' : `${r.relativeDifference >= 0 ? '+' : ''}${(r.relativeDifference * 100).toFixed(1)}%`);
  const value = (key, v) =>
    key === 'profilePeakHour' || key === 'profileTroughHour' ? `${String(v).padStart(2, '0')}:00` : key === 'profileCorrelation' ? v.toFixed(3) : v.toPrecision(3);
  const header = ['statistic', 'held-out', 'calibrated', 'diff', 'uncalibrated', 'diff', 'halves differ', 'result'];
  const body = result.calibrated.map((r, i) => {
    const u = result.uncalibrated[i];
    const h = result.halfToHalf[i];
    const halves = r.key === 'profileCorrelation' || r.relativeDifference === null ? value(r.key, h.generated) : pct(h);
    return [r.name, value(r.key, r.reference), value(r.key, r.generated), pct(r), value(r.key, u.generated), pct(u), halves, r.passed === null ? 'info' : r.passed ? 'PASS' : 'FAIL'];
  });
  const widths = header.map((t, i) => Math.max(t.length, ...body.map((row) => row[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 || i === 7 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  const out = [
    `Calibrated on ${result.calibrationHalf.households.length} even-numbered homes, held out ${result.generated.households.length} odd-numbered ones; ` +
      `generated ${result.generated.households.length} meters over the same ${reference.wallClockMs.length / 48} days, seed ${seed} (fit: worst statistic ${(result.fitError * 100).toFixed(1)}% from the calibration half)`,
    '',
    line(header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...body.map(line),
    '',
    `Target: every statistic within ${CALIBRATED_BANDS.relative * 100}% of the held-out homes, profile correlation at least ${CALIBRATED_BANDS.profileCorrelation}, peak and trough within ${CALIBRATED_BANDS.hours} hours. ` +
      '"halves differ" is the calibration half against the held-out half: how much two samples of the same homes differ.',
    `${passed ? 'PASS' : 'FAIL'}: ${result.calibrated.filter((r) => r.passed === false).length} of ${result.calibrated.filter((r) => r.passed !== null).length} statistics outside the target. Total ${seconds.toFixed(1)} s.`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  return passed ? 0 : 1;
}
