import { describe, expect, it } from 'vitest';
import { doubleText, writeDoubleText } from '../../src/sinks/files/double-text.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';

/** DuckDB's own text of each value (`CAST(d AS VARCHAR)`, what its CSV writer writes). */
async function duckdbText(values: readonly number[]): Promise<string[]> {
  const w = await Warehouse.open(':memory:');
  try {
    await w.run('CREATE TABLE v (i INTEGER, d DOUBLE)');
    const appender = await w.connection.createAppender('v');
    values.forEach((d, i) => {
      appender.appendInteger(i);
      appender.appendDouble(d);
      appender.endRow();
    });
    appender.closeSync();
    const reader = await w.connection.runAndReadAll('SELECT CAST(d AS VARCHAR) FROM v ORDER BY i');
    return reader.getRows().map((r) => String(r[0]));
  } finally {
    w.close();
  }
}

const signBit = (v: number): boolean => {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  return (view.getUint8(0) & 0x80) !== 0;
};

const bytesText = (v: number): string => {
  const out = new Uint8Array(64);
  return Buffer.from(out.subarray(0, writeDoubleText(out, 0, v, signBit(v)))).toString('latin1');
};

/** A deterministic stream of values: random bit patterns, values rounded to 1-6 decimals, and edges. */
function values(n: number): number[] {
  let s = 0x9e3779b9;
  const next = (): number => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out: number[] = [0, -0, 1, -1, 13, 0.091, 0.001, 0.0001, 0.00001, 1e15, 1e16, 1.5e16, 123456789012345, 1234567890123456, 1e-7, 1e21, 1e22, 1e100,
    5e-324, Number.MAX_VALUE, Number.MIN_VALUE, 0.1, 0.3, 0.1 + 0.2, -2.5, 100, 999.9995, 999999999999.999, 1e12, 0.0005, NaN, Infinity, -Infinity,
    // Where the digit table of the three-decimal path ends (below 1000) and the digit counts change.
    0.999, 1.01, 9.99, 9.999, 10, 10.1, 99.999, 100.001, 100.01, 999.999, 999.99, 1000, 1000.001, 1000.1, 240.5, -999.999, -1000.001];
  const bits = new DataView(new ArrayBuffer(8));
  for (let i = 0; i < n; i++) {
    const kind = i % 4;
    if (kind === 0) {
      bits.setUint32(0, Math.floor(next() * 4294967296));
      bits.setUint32(4, Math.floor(next() * 4294967296));
      out.push(bits.getFloat64(0));
    } else {
      const decimals = 1 + Math.floor(next() * 6);
      const scale = 10 ** decimals;
      const magnitude = 10 ** Math.floor(next() * 14 - 4);
      const v = Math.round((next() - 0.3) * magnitude * scale) / scale;
      out.push(kind === 3 ? -v : v);
    }
  }
  return out;
}

describe('writeDoubleText', () => {
  it('writes every double as DuckDB writes it as text', async () => {
    const vs = values(200_000);
    const want = await duckdbText(vs);
    const bad = vs.map((v, i) => ({ v, want: want[i], got: bytesText(v), general: doubleText(v, signBit(v)) })).filter((c) => c.got !== c.want || c.general !== c.want);
    expect(bad.slice(0, 10)).toEqual([]);
  });
});
