import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadR4Definitions } from '../../fhir/index.ts';
import { parseSearch, splitEscaped, splitPrefix, splitValues } from '../../fhir/search/request.ts';
import { FhirError } from '../../fhir/outcomes.ts';

loadR4Definitions();

describe('conditional criteria parsing', () => {
  it('splits ORed values on unescaped commas only', () => {
    assert.deepEqual(splitValues('a,b'), ['a', 'b']);
    assert.deepEqual(splitValues('Dupont\\, Jean,Martin'), ['Dupont\\, Jean', 'Martin']);
    assert.deepEqual(splitEscaped('http://x|a\\|b', '|'), ['http://x', 'a|b']);
  });

  it('reads prefixes only before a value that looks like a number or date', () => {
    assert.deepEqual(splitPrefix('ge2020-01'), ['ge', '2020-01']);
    assert.deepEqual(splitPrefix('2020'), ['eq', '2020']);
    assert.deepEqual(splitPrefix('eq'), ['eq', 'eq']);
  });

  it('parses criteria with their definitions, modifiers and ORed values', () => {
    const request = parseSearch('Patient', new URLSearchParams('identifier=urn:oid:1|123,urn:oid:1|456&family:exact=Lefèvre&_count=5'));
    assert.equal(request.count, 5);
    assert.deepEqual(request.criteria.map((c) => [c.code, c.modifier, c.kind, c.values]), [
      ['identifier', undefined, 'token', ['urn:oid:1|123', 'urn:oid:1|456']],
      ['family', 'exact', 'string', ['Lefèvre']],
    ]);
  });

  it('refuses unknown parameters unless asked to be lenient', () => {
    assert.throws(() => parseSearch('Patient', new URLSearchParams('shoe-size=42')), (err: unknown) => err instanceof FhirError && err.status === 400);
    const lenient = parseSearch('Patient', new URLSearchParams('shoe-size=42&gender=male'), { lenient: true });
    assert.deepEqual(lenient.ignored, ['shoe-size']);
    assert.equal(lenient.criteria.length, 1);
    assert.throws(() => parseSearch('Patient', new URLSearchParams('_count=-1')), FhirError);
  });
});
