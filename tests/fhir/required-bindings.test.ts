import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadR4Definitions } from '../../fhir/index.ts';
import { checkRequiredBindings, expandValueSet } from '../../fhir/required-bindings.ts';

loadR4Definitions();

describe('required bindings on code elements', () => {
  it('expands value sets built from the spec\'s code systems', () => {
    assert.deepEqual([...(expandValueSet('http://hl7.org/fhir/ValueSet/administrative-gender|4.0.1') ?? [])].sort(), ['female', 'male', 'other', 'unknown']);
    assert.ok(expandValueSet('http://hl7.org/fhir/ValueSet/observation-status')?.has('final'));
    assert.equal(expandValueSet('http://example.org/unknown'), null);
  });

  it('reports codes outside the value set with their path, in nested elements and choice types', () => {
    const issues = checkRequiredBindings({
      resourceType: 'Patient',
      gender: 'robot',
      name: [{ use: 'official' }, { use: 'nickname-ish' }],
      contact: [{ gender: 'male' }],
      extension: [{ url: 'x', valueCode: 'anything' }],
    } as { resourceType: string });
    assert.deepEqual(issues.map((i) => i.expression?.[0]), ['Patient.gender', 'Patient.name[1].use']);
  });

  it('walks into contained and bundled resources', () => {
    const issues = checkRequiredBindings({
      resourceType: 'Bundle',
      type: 'collection',
      entry: [{ resource: { resourceType: 'Observation', status: 'done' } }],
    } as { resourceType: string });
    assert.deepEqual(issues.map((i) => i.expression?.[0]), ['Bundle.entry[0].resource.status']);
  });
});
