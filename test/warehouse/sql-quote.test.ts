import { describe, expect, it } from 'vitest';
import { quoteIdentifier, quoteLiteral } from '../../src/warehouse/sql-quote.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';

describe('sql quoting', () => {
  it('makes any path a literal that DuckDB reads back unchanged', async () => {
    const nasty = `/tmp/it's a "dir"/x'); DROP TABLE t; --\\n.parquet`;
    expect(quoteLiteral(nasty)).toBe(`'/tmp/it''s a "dir"/x''); DROP TABLE t; --\\n.parquet'`);
    const w = await Warehouse.open(':memory:');
    try {
      expect(await w.rows(`SELECT ${quoteLiteral(nasty)} AS s`)).toEqual([{ s: nasty }]);
    } finally {
      w.close();
    }
    expect(() => quoteLiteral('a\0b')).toThrow(/NUL/);
  });

  it('accepts plain identifiers and refuses anything else', () => {
    expect(quoteIdentifier('ami_fact')).toBe('"ami_fact"');
    for (const bad of ['', '1abc', 'a-b', 'a"b', 'x; DROP TABLE y', 'a'.repeat(64)]) {
      expect(() => quoteIdentifier(bad), bad).toThrow(expect.objectContaining({ code: 'FORGE_ERR_INVALID_IDENTIFIER' }));
    }
  });
});
