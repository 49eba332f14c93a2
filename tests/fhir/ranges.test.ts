import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dateRange, normalizeString, numberRange } from '../../fhir/search/ranges.ts';

describe('search value ranges', () => {
  it('gives a partial date the whole period it names', () => {
    assert.deepEqual(dateRange('2024'), { low: '2024-01-01T00:00:00.000Z', high: '2025-01-01T00:00:00.000Z' });
    assert.deepEqual(dateRange('2024-02'), { low: '2024-02-01T00:00:00.000Z', high: '2024-03-01T00:00:00.000Z' });
    assert.deepEqual(dateRange('2024-12-31'), { low: '2024-12-31T00:00:00.000Z', high: '2025-01-01T00:00:00.000Z' });
    assert.deepEqual(dateRange('2024-03-01T10:15+01:00'), { low: '2024-03-01T09:15:00.000Z', high: '2024-03-01T09:16:00.000Z' });
    assert.deepEqual(dateRange('2024-03-01T10:15:30.250Z'), { low: '2024-03-01T10:15:30.250Z', high: '2024-03-01T10:15:30.251Z' });
  });

  it('refuses what is not a date', () => {
    for (const text of ['2024-13', '2024-02-30', '24-01-01', 'yesterday', '2024-01-01T25:00Z', '']) assert.equal(dateRange(text), undefined, text);
  });

  it('gives a number the range of its written precision, exactly', () => {
    assert.deepEqual(numberRange('100'), { value: '100.0', low: '99.5', high: '100.5' });
    assert.deepEqual(numberRange('0.1'), { value: '0.10', low: '0.05', high: '0.15' });
    assert.deepEqual(numberRange('-2.50'), { value: '-2.500', low: '-2.505', high: '-2.495' });
    assert.deepEqual(numberRange('1e2'), { value: '100', low: '50', high: '150' });
    assert.equal(numberRange('1,5'), undefined);
    assert.equal(numberRange('abc'), undefined);
  });

  it('compares strings without case or accents', () => {
    assert.equal(normalizeString('Hélène LEFÈVRE-Çaçà'), 'helene lefevre-caca');
  });
});
