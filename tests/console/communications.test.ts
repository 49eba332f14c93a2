// Dispatch messages as FHIR Communications: who writes to whom, which belong to a hospital's
// conversation, and each message once, in the order sent.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DISPATCH, involves, merged, message } from '../../console/src/messages/communications.ts';

const hospital = { id: 'org-1', name: 'CHU de Bordeaux' };
const at = (iso: string) => new Date(iso);

describe('console: dispatch messages', () => {
  it('writes from dispatch to the hospital and back, with what it is about', () => {
    const out = message({ hospital, fromHospital: false, about: 'femme 30 ans', text: 'ETA 15 min', now: at('2026-12-03T10:00:00Z') });
    assert.deepEqual([out.sender, out.recipient, out.about, out.payload, out.sent, out.status], [
      DISPATCH, [{ reference: 'Organization/org-1', display: 'CHU de Bordeaux' }], [{ display: 'femme 30 ans' }], [{ contentString: 'ETA 15 min' }], '2026-12-03T10:00:00.000Z', 'completed',
    ]);
    const back = message({ hospital, fromHospital: true, about: '', text: 'Prêts', now: at('2026-12-03T10:01:00Z') });
    assert.deepEqual([back.sender?.reference, back.recipient, back.about], ['Organization/org-1', [DISPATCH], undefined]);
    assert.ok(involves(out, 'org-1') && involves(back, 'org-1'));
    assert.ok(!involves(out, 'org-2'));
  });

  it('keeps each message once, in the order sent', () => {
    const a = { ...message({ hospital, fromHospital: false, about: '', text: 'a', now: at('2026-12-03T10:00:00Z') }), id: 'a' };
    const b = { ...message({ hospital, fromHospital: true, about: '', text: 'b', now: at('2026-12-03T10:02:00Z') }), id: 'b' };
    const c = { ...message({ hospital, fromHospital: false, about: '', text: 'c', now: at('2026-12-03T10:01:00Z') }), id: 'c' };
    assert.deepEqual(merged(merged([b], [a, b]), [c]).map((m) => m.id), ['a', 'c', 'b']);
  });
});
