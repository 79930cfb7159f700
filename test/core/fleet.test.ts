import { describe, expect, it } from 'vitest';
import { buildFleet, fleetFingerprint, type Fleet } from '../../src/fleet/fleet.js';
import { SEGMENTS, type Segment } from '../../src/scenario/enums.js';
import { resolveScenario } from '../../src/scenario/scenario.js';
import { SERVICE_AREA_NAMES, SERVICE_AREAS } from '../../src/scenario/service-areas.js';
import { distanceKm } from '../support/core.js';

const fleetOf = (input: Record<string, unknown>): Fleet => buildFleet(resolveScenario({ start: '2026-01-01', days: 1, ...input }));

const BIG = fleetOf({ meters: 10_000 });

function groupCounts(keys: ArrayLike<number>): Map<number, number> {
  const out = new Map<number, number>();
  for (let i = 0; i < keys.length; i++) out.set(keys[i]!, (out.get(keys[i]!) ?? 0) + 1);
  return out;
}

function shares(fleet: Fleet): Record<Segment, number> {
  const counts = [0, 0, 0];
  for (const s of fleet.segment) counts[s]!++;
  return { RESIDENTIAL: counts[0]! / fleet.size, COMMERCIAL: counts[1]! / fleet.size, INDUSTRIAL: counts[2]! / fleet.size };
}

describe('meter ids', () => {
  it('look like MTR-TGC-0000042 and number the meters 1, 2, 3...', () => {
    const fleet = fleetOf({ meters: 100 });
    expect(fleet.size).toBe(100);
    expect(fleet.meterIds[0]).toBe('MTR-TGC-0000001');
    expect(fleet.meterIds[41]).toBe('MTR-TGC-0000042');
    for (let i = 0; i < fleet.size; i++) {
      expect(fleet.meterIds[i]).toMatch(/^MTR-TGC-\d{7}$/);
      expect(fleet.meterNumber[i]).toBe(i + 1);
    }
    expect(new Set(fleet.meterIds).size).toBe(100);
  });

  it('take the configured prefix and the area code', () => {
    expect(fleetOf({ meters: 3, idPrefix: 'ACME' }).meterIds).toEqual(['ACME-TGC-0000001', 'ACME-TGC-0000002', 'ACME-TGC-0000003']);
    for (const name of SERVICE_AREA_NAMES) {
      const fleet = fleetOf({ meters: 2, area: name });
      expect(fleet.meterIds[0]).toBe(`MTR-${SERVICE_AREAS[name].code}-0000001`);
      expect(fleet.transformerIds[0]).toMatch(new RegExp(`^XFMR-${SERVICE_AREAS[name].code}-\\d{6}$`));
      expect(fleet.feederIds[0]).toMatch(new RegExp(`^FDR-${SERVICE_AREAS[name].code}-\\d{4}$`));
      expect(fleet.substationIds[0]).toMatch(new RegExp(`^SUB-${SERVICE_AREAS[name].code}-\\d{3}$`));
    }
  });

  it('the prefix changes ids only, not the fleet', () => {
    const a = fleetOf({ meters: 200 });
    const b = fleetOf({ meters: 200, idPrefix: 'X1' });
    expect(b.segment).toEqual(a.segment);
    expect(b.traits).toEqual(a.traits);
    expect(b.meterIds.map((id) => id.replace(/^X1-/, 'MTR-'))).toEqual(a.meterIds);
  });
});

describe('prefix stability and determinism', () => {
  it('a fleet of 100 is the first 100 meters of a fleet of 1,000 with the same seed', () => {
    const small = fleetOf({ meters: 100, seed: 7 });
    const large = fleetOf({ meters: 1_000, seed: 7 });
    const perMeter = ['meterNumber', 'segment', 'transformer', 'feeder', 'substation', 'latitude', 'longitude'] as const;
    for (const column of perMeter) {
      expect(Array.from(small[column]), column).toEqual(Array.from(large[column].subarray(0, 100)));
    }
    for (const [trait, values] of Object.entries(small.traits)) {
      expect(Array.from(values as ArrayLike<number>), trait).toEqual(Array.from((large.traits[trait as keyof typeof large.traits]).subarray(0, 100)));
    }
    expect(small.meterIds).toEqual(large.meterIds.slice(0, 100));
    expect(small.transformerIds).toEqual(large.transformerIds.slice(0, small.transformerIds.length));
    expect(Array.from(small.transformerVoltageOffset)).toEqual(Array.from(large.transformerVoltageOffset.subarray(0, small.transformerVoltageOffset.length)));
    expect(small.feederIds).toEqual(large.feederIds.slice(0, small.feederIds.length));
    expect(small.substationIds).toEqual(large.substationIds.slice(0, small.substationIds.length));
  });

  it('the same scenario builds the same fleet; another seed builds another', () => {
    expect(fleetFingerprint(fleetOf({ meters: 500, seed: 1 }))).toBe(fleetFingerprint(fleetOf({ meters: 500, seed: 1 })));
    const a = fleetOf({ meters: 500, seed: 1 });
    const b = fleetOf({ meters: 500, seed: 2 });
    expect(fleetFingerprint(a)).not.toBe(fleetFingerprint(b));
    expect(Array.from(a.traits.meanKw)).not.toEqual(Array.from(b.traits.meanKw));
  });
});

describe('topology of a 10,000 meter fleet', () => {
  it('every meter refers to existing assets, and a transformer lies on one feeder, a feeder under one substation', () => {
    const xfmrFeeder = new Map<number, number>();
    const feederSub = new Map<number, number>();
    for (let i = 0; i < BIG.size; i++) {
      const x = BIG.transformer[i]!;
      const f = BIG.feeder[i]!;
      expect(x).toBeLessThan(BIG.transformerIds.length);
      expect(f).toBeLessThan(BIG.feederIds.length);
      expect(BIG.substation[i]!).toBeLessThan(BIG.substationIds.length);
      expect(xfmrFeeder.get(x) ?? f).toBe(f);
      xfmrFeeder.set(x, f);
      expect(feederSub.get(f) ?? BIG.substation[i]).toBe(BIG.substation[i]);
      feederSub.set(f, BIG.substation[i]!);
    }
    expect(new Set(BIG.transformerIds).size).toBe(BIG.transformerIds.length);
  });

  it('3 to 10 homes share a residential transformer; commercial and industrial meters have their own', () => {
    const perTransformer = groupCounts(BIG.transformer);
    const segmentOf = new Map<number, number>();
    const lastResidentialOnFeeder = new Map<number, number>();
    for (let i = 0; i < BIG.size; i++) {
      const x = BIG.transformer[i]!;
      expect(segmentOf.get(x) ?? BIG.segment[i]).toBe(BIG.segment[i]);
      segmentOf.set(x, BIG.segment[i]!);
      if (BIG.segment[i] === 0) lastResidentialOnFeeder.set(BIG.feeder[i]!, x);
    }
    // The last residential transformer of a feeder is cut short when the feeder fills up (and at the fleet's end).
    const truncated = new Set(lastResidentialOnFeeder.values());
    let homes = 0;
    let residentialTransformers = 0;
    for (const [x, count] of perTransformer) {
      if (segmentOf.get(x) !== 0) {
        expect(count).toBe(1);
        continue;
      }
      expect(count).toBeLessThanOrEqual(10);
      if (!truncated.has(x)) expect(count).toBeGreaterThanOrEqual(3);
      homes += count;
      residentialTransformers++;
    }
    const mean = homes / residentialTransformers;
    expect(mean).toBeGreaterThan(5.5);
    expect(mean).toBeLessThan(7.5);
  });

  it('feeders carry on the order of 1,000 meters and substations 3 to 8 feeders', () => {
    const perFeeder = groupCounts(BIG.feeder);
    const lastFeeder = BIG.feeder[BIG.size - 1]!;
    const sizes = [...perFeeder].filter(([f]) => f !== lastFeeder).map(([, c]) => c);
    expect(sizes.length).toBeGreaterThanOrEqual(5);
    for (const c of sizes) {
      expect(c).toBeGreaterThanOrEqual(700);
      expect(c).toBeLessThanOrEqual(1_400);
    }
    const feedersOf = new Map<number, Set<number>>();
    for (let i = 0; i < BIG.size; i++) {
      const set = feedersOf.get(BIG.substation[i]!) ?? new Set<number>();
      set.add(BIG.feeder[i]!);
      feedersOf.set(BIG.substation[i]!, set);
    }
    const lastSub = BIG.substation[BIG.size - 1]!;
    expect(feedersOf.size).toBeGreaterThanOrEqual(2);
    for (const [sub, set] of feedersOf) {
      if (sub === lastSub) expect(set.size).toBeLessThanOrEqual(8);
      else {
        expect(set.size).toBeGreaterThanOrEqual(3);
        expect(set.size).toBeLessThanOrEqual(8);
      }
    }
  });
});

describe('segments', () => {
  it('shares are close to the area mix', () => {
    for (const name of ['TEXAS_GULF_COAST', 'NORTHEAST_CORRIDOR'] as const) {
      const fleet = name === 'TEXAS_GULF_COAST' ? BIG : fleetOf({ meters: 10_000, area: name });
      const got = shares(fleet);
      for (const s of SEGMENTS) {
        // Binomial sd at 10k meters is at most 0.005.
        expect(Math.abs(got[s] - SERVICE_AREAS[name].mix[s]), `${name} ${s}`).toBeLessThan(0.02);
      }
    }
  });

  it('shares follow --mix', () => {
    const got = shares(fleetOf({ meters: 10_000, mix: '88/11/1' }));
    expect(Math.abs(got.RESIDENTIAL - 0.88)).toBeLessThan(0.015);
    expect(Math.abs(got.COMMERCIAL - 0.11)).toBeLessThan(0.015);
    expect(Math.abs(got.INDUSTRIAL - 0.01)).toBeLessThan(0.005);
    expect(got.INDUSTRIAL).toBeGreaterThan(0);
  });

  it('a segment filter yields only that segment, with the ids and topology those meters have in the whole fleet', () => {
    for (const segment of SEGMENTS) {
      const filtered = fleetOf({ meters: 300, segment });
      expect(filtered.size).toBe(300);
      const code = SEGMENTS.indexOf(segment);
      for (const s of filtered.segment) expect(s).toBe(code);
      const whole = fleetOf({ meters: 5_000 });
      const same: number[] = [];
      for (let i = 0; i < whole.size && same.length < 300; i++) if (whole.segment[i] === code) same.push(i);
      expect(same.length).toBe(300);
      same.forEach((w, i) => {
        expect(filtered.meterIds[i]).toBe(whole.meterIds[w]);
        expect(filtered.transformerIds[filtered.transformer[i]!]).toBe(whole.transformerIds[whole.transformer[w]!]);
        expect(filtered.feederIds[filtered.feeder[i]!]).toBe(whole.feederIds[whole.feeder[w]!]);
        expect(filtered.traits.meanKw[i]).toBe(whole.traits.meanKw[w]);
        expect(filtered.latitude[i]).toBe(whole.latitude[w]);
      });
    }
  });
});

describe('locations and levels', () => {
  it('meters lie within 60 km of the area centre, and near their transformer mates', () => {
    for (const name of SERVICE_AREA_NAMES) {
      const area = SERVICE_AREAS[name];
      const fleet = name === 'TEXAS_GULF_COAST' ? BIG : fleetOf({ meters: 3_000, area: name });
      const mates = new Map<number, [number, number]>();
      for (let i = 0; i < fleet.size; i++) {
        const lat = fleet.latitude[i]!;
        const lon = fleet.longitude[i]!;
        expect(distanceKm(area.latitude, area.longitude, lat, lon), `${fleet.meterIds[i]}`).toBeLessThan(60);
        const first = mates.get(fleet.transformer[i]!);
        if (first) expect(distanceKm(first[0], first[1], lat, lon)).toBeLessThan(0.2);
        else mates.set(fleet.transformer[i]!, [lat, lon]);
      }
    }
  });

  it('mean demand follows the segment: homes near the EIA level, businesses far above', () => {
    const sum = [0, 0, 0];
    const count = [0, 0, 0];
    for (let i = 0; i < BIG.size; i++) {
      sum[BIG.segment[i]!]! += BIG.traits.meanKw[i]!;
      count[BIG.segment[i]!]!++;
      expect(BIG.traits.meanKw[i]).toBeGreaterThan(0);
    }
    const mean = sum.map((s, i) => s / count[i]!);
    // Texas: 0.39 kWh per 15 minutes = 1.56 kW at reference conditions.
    expect(mean[0]).toBeGreaterThan(1.56 * 0.9);
    expect(mean[0]).toBeLessThan(1.56 * 1.1);
    expect(mean[1]).toBeGreaterThan(10 * mean[0]!);
    expect(mean[2]).toBeGreaterThan(mean[1]!);
  });
});
