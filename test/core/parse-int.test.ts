import { describe, expect, it } from 'vitest';
import { ForgeError } from '../../src/util/forge-error.js';
import { checkInt, parseIntSetting, readInt } from '../../src/util/parse-int.js';

/** The ForgeError a call throws, or a note that it threw none. */
function thrown(run: () => unknown): { code: string; message: string } | string {
  try {
    run();
    return 'no error';
  } catch (e) {
    return e instanceof ForgeError ? { code: e.code, message: e.message } : `not a ForgeError: ${String(e)}`;
  }
}

describe('readInt', () => {
  it('reads decimal digits with an optional minus', () => {
    expect(readInt('0')).toBe(0);
    expect(readInt('42')).toBe(42);
    expect(readInt('007')).toBe(7);
    expect(readInt('-15')).toBe(-15);
    expect(readInt(String(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('reads -0 as plain zero', () => {
    expect(Object.is(readInt('-0'), 0)).toBe(true);
  });

  it('is null for anything Number() would take that is not an integer written out, and for no text', () => {
    for (const text of ['', ' ', ' 7', '7 ', '1.5', '1.0', '1e3', '0x10', '0b1', '+3', '7 meters', 'Infinity', 'NaN', '--1']) {
      expect(readInt(text), JSON.stringify(text)).toBeNull();
    }
    expect(readInt(undefined)).toBeNull();
    expect(readInt(null)).toBeNull();
  });

  it('is null beyond 2^53, where the number would not be the integer written', () => {
    expect(readInt('9007199254740993')).toBeNull();
    expect(readInt('-9007199254740993')).toBeNull();
  });
});

describe('parseIntSetting', () => {
  it('takes an integer in range, spaces around it allowed', () => {
    expect(parseIntSetting('8080', 'port', { min: 1, max: 65_535 })).toBe(8080);
    expect(parseIntSetting(' 12\n', 'FORGE_WORKERS', { min: 1 })).toBe(12);
    expect(parseIntSetting('0', 'retries', { min: 0 })).toBe(0);
  });

  it('names the setting, what it accepts and the text given, as FORGE_ERR_INVALID_CONFIG', () => {
    expect(thrown(() => parseIntSetting('12abc', 'FORGE_WORKERS', { min: 1 }))).toEqual({
      code: 'FORGE_ERR_INVALID_CONFIG',
      message: 'Invalid configuration: FORGE_WORKERS must be a positive integer, not "12abc"',
    });
    expect(thrown(() => parseIntSetting('', 'port', { min: 1, max: 65_535 }))).toEqual({
      code: 'FORGE_ERR_INVALID_CONFIG',
      message: 'Invalid configuration: port must be an integer from 1 to 65535, not ""',
    });
    expect(thrown(() => parseIntSetting('1.5', 'retries', { min: 0 }))).toMatchObject({ message: 'Invalid configuration: retries must be an integer of at least 0, not "1.5"' });
  });

  it('refuses an integer out of range, and shortens a long text in the message', () => {
    expect(thrown(() => parseIntSetting('70000', 'port', { min: 1, max: 65_535 }))).toMatchObject({ message: 'Invalid configuration: port must be an integer from 1 to 65535, not 70000' });
    expect(thrown(() => parseIntSetting('0', 'FORGE_WORKERS', { min: 1 }))).toMatchObject({ code: 'FORGE_ERR_INVALID_CONFIG' });
    const long = thrown(() => parseIntSetting('x'.repeat(500), 'port', { min: 1 }));
    expect(typeof long === 'object' && long.message.includes(`"${'x'.repeat(40)}..."`) && !long.message.includes('x'.repeat(41))).toBe(true);
  });
});

describe('checkInt', () => {
  it('returns a number option that is an integer in range', () => {
    expect(checkInt(500, 'mqtt maxInFlight', { min: 1, max: 65_535 })).toBe(500);
    expect(checkInt(0, 'redis maxLen', { min: 0 })).toBe(0);
    expect(checkInt(Number.MAX_SAFE_INTEGER, 'stage rollBytes', { min: 1 })).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('refuses fractions, non-numbers, unsafe integers and values out of range, naming the option and the value', () => {
    expect(thrown(() => checkInt(0, 'stage rollRows', { min: 1 }))).toEqual({ code: 'FORGE_ERR_INVALID_CONFIG', message: 'Invalid configuration: stage rollRows must be a positive integer, not 0' });
    expect(thrown(() => checkInt(65_536, 'mqtt maxInFlight', { min: 1, max: 65_535 }))).toMatchObject({ message: 'Invalid configuration: mqtt maxInFlight must be an integer from 1 to 65535, not 65536' });
    expect(thrown(() => checkInt(-1, 'redis maxLen', { min: 0 }))).toMatchObject({ message: 'Invalid configuration: redis maxLen must be an integer of at least 0, not -1' });
    for (const bad of [1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '5', null, undefined]) {
      expect(thrown(() => checkInt(bad, 'n', { min: 1 })), String(bad)).toMatchObject({ code: 'FORGE_ERR_INVALID_CONFIG' });
    }
  });
});
