import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { collectReferences, isConditionalReference, rewriteReferences } from '../../fhir/bundles/references.ts';

describe('bundle reference rewriting', () => {
  const map = new Map([
    ['urn:uuid:aaa', 'Patient/1'],
    ['http://other.example/fhir/Practitioner/9', 'Practitioner/42'],
  ]);
  const resolve = (ref: string): string | undefined => map.get(ref);

  it('rewrites every Reference.reference, at any depth and in arrays', () => {
    const resource = {
      resourceType: 'Encounter',
      subject: { reference: 'urn:uuid:aaa', display: 'urn:uuid:aaa' },
      participant: [{ individual: { reference: 'http://other.example/fhir/Practitioner/9' } }, { individual: { reference: 'Practitioner/7' } }],
      contained: [{ resourceType: 'Observation', subject: { reference: 'urn:uuid:aaa' } }],
    };
    const out = rewriteReferences(resource, resolve);
    assert.equal(out.subject.reference, 'Patient/1');
    assert.equal(out.subject.display, 'urn:uuid:aaa', 'only `reference` properties are references');
    assert.equal(out.participant[0]?.individual.reference, 'Practitioner/42');
    assert.equal(out.participant[1]?.individual.reference, 'Practitioner/7', 'unknown references stay as they are');
    assert.equal(out.contained[0]?.subject.reference, 'Patient/1');
    assert.equal(resource.subject.reference, 'urn:uuid:aaa', 'the input is not modified');
  });

  it('rewrites links in the narrative', () => {
    const out = rewriteReferences({ text: { div: '<div><a href="urn:uuid:aaa">x</a><img src="urn:uuid:bbb"/></div>' } }, resolve);
    assert.equal(out.text.div, '<div><a href="Patient/1">x</a><img src="urn:uuid:bbb"/></div>');
  });

  it('collects distinct references and recognises conditional ones', () => {
    const refs = collectReferences({ a: { reference: 'Patient?identifier=x|1' }, b: [{ reference: 'Patient/1' }, { reference: 'Patient/1' }] });
    assert.deepEqual([...refs].sort(), ['Patient/1', 'Patient?identifier=x|1']);
    assert.equal(isConditionalReference('Patient?identifier=x|1'), true);
    assert.equal(isConditionalReference('Patient/1'), false);
    assert.equal(isConditionalReference('urn:uuid:aaa'), false);
    assert.equal(isConditionalReference('http://x.example/fhir/Patient?x=1'), false);
  });
});
