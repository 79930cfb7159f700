import { describe, expect, it } from 'vitest';
import { BUILDING_SIZE_CLASSES, SIZE_CLASS_BOUNDARIES_MWH, SIZE_MIX_GEOMETRIC_RATIO, SIZE_MIX_MEAN_MWH } from '../../src/fleet/building-sizes.js';
import { sizeClassShares, type BuildingLevel } from '../../src/validate/size-class-shares.js';

/** `perType` buildings of `profile` in CBECS's shares, each at its class's mean times `scale`. */
function cbecsBuildings(profile: number, perType: number, scale: number): BuildingLevel[] {
  return BUILDING_SIZE_CLASSES.flatMap((c) => Array.from({ length: Math.round(c.share * perType) }, () => ({ profile, annualMwh: c.meanMwh * scale })));
}

describe('sizeClassShares', () => {
  it('buildings in CBECS shares at the class means give CBECS shares, whatever each type\'s level', () => {
    const shares = sizeClassShares([...cbecsBuildings(3, 100_000, 1), ...cbecsBuildings(4, 100_000, 3.2), ...cbecsBuildings(7, 50_000, 0.4)]);
    expect(shares.map((s) => s.atLeast)).toEqual(BUILDING_SIZE_CLASSES.slice(1).map((c) => c.name));
    expect(shares.map((s) => s.thresholdMwh)).toEqual(SIZE_CLASS_BOUNDARIES_MWH);
    for (const s of shares) expect(Math.abs(s.generated - s.cbecs), s.atLeast).toBeLessThan(2e-5);
    expect(shares[0]!.cbecs).toBeCloseTo(1 - BUILDING_SIZE_CLASSES[0]!.share, 12);
    expect(shares[6]!.cbecs).toBeCloseTo(BUILDING_SIZE_CLASSES[7]!.share, 12);
  });

  it('buildings all of one size are all in the class of the mix\'s geometric mean; none counted without a positive level', () => {
    const shares = sizeClassShares(Array.from({ length: 500 }, (_, i) => ({ profile: i % 3, annualMwh: 10 * (1 + (i % 3)) })));
    const level = SIZE_MIX_GEOMETRIC_RATIO * SIZE_MIX_MEAN_MWH;
    shares.forEach((s) => expect(s.generated, s.atLeast).toBe(level > s.thresholdMwh ? 1 : 0));
    expect(sizeClassShares([{ profile: 3, annualMwh: 0 }])[0]!.generated).toBeNaN();
  });
});
