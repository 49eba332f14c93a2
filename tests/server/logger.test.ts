import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { safeError } from '../../server/logger.ts';

describe('safe error logging', () => {
  it('keeps the kind and location of a database error, never its message or details', () => {
    const err = Object.assign(new Error('null value in column "family" violates not-null constraint'), {
      code: '23502',
      table: 'fhir_string',
      column: 'value',
      detail: 'Failing row contains (Patient, 1, family, dupont, Dupont).',
    });
    const logged = JSON.stringify(safeError(err));
    assert.match(logged, /23502/);
    assert.match(logged, /fhir_string/);
    assert.doesNotMatch(logged, /Dupont|dupont|Failing row|null value/);
    assert.ok((safeError(err).frames as string[]).length > 0);
  });
});
