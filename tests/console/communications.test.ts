// Dispatch messages as FHIR Communications: who writes to whom, which belong to a hospital's
// conversation, and each message once, in the order sent.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { involves, merged, message, PATIENT_TRANSFER_PROFILE } from '../../console/src/messages/communications.ts';
import { loadR4Definitions, ProfileRegistry } from '../../fhir/index.ts';
import { validate } from '../../fhir/validation.ts';
import { loadProfiles } from '../../profiles/index.ts';

const hospital = { id: 'org-1', name: 'CHU de Bordeaux' };
const DISPATCH = { reference: 'Organization/samu-33', display: 'SAMU 33' };
const at = (iso: string) => new Date(iso);

describe('console: dispatch messages', () => {
  it('writes from dispatch to the hospital and back, with what it is about', () => {
    const out = message({ hospital, dispatch: DISPATCH, fromHospital: false, about: 'femme 30 ans', text: 'ETA 15 min', now: at('2026-12-03T10:00:00Z') });
    assert.deepEqual([out.sender, out.recipient, out.about, out.payload, out.sent, out.status], [
      DISPATCH, [{ reference: 'Organization/org-1', display: 'CHU de Bordeaux' }], [{ display: 'femme 30 ans' }], [{ contentString: 'ETA 15 min' }], '2026-12-03T10:00:00.000Z', 'completed',
    ]);
    const back = message({ hospital, dispatch: DISPATCH, fromHospital: true, about: '', text: 'Prêts', now: at('2026-12-03T10:01:00Z') });
    assert.deepEqual([back.sender?.reference, back.recipient, back.about], ['Organization/org-1', [DISPATCH], undefined]);
    assert.ok(involves(out, 'org-1') && involves(back, 'org-1'));
    assert.ok(!involves(out, 'org-2'));
    assert.ok(!involves({ ...out, meta: {} }, 'org-1'), 'a Communication outside the patient-transfer profile is not part of it');
  });

  it('writes messages that conform to the patient-transfer profile, which dispatch is allowed', () => {
    loadR4Definitions();
    const profiles = new ProfileRegistry(loadProfiles());
    const out = message({ hospital, dispatch: DISPATCH, fromHospital: false, about: 'homme 70 ans', text: 'Arrivée 10 min', now: at('2026-12-03T10:00:00Z') });
    assert.deepEqual(out.meta?.profile, [PATIENT_TRANSFER_PROFILE]);
    validate(out as never, profiles);
    const { payload: _payload, ...withoutText } = out;
    const about = (path: string) => (err: unknown) => JSON.stringify((err as { outcome?: unknown }).outcome).includes(path);
    assert.throws(() => validate(withoutText as never, profiles), about('Communication.payload'), 'a message says something');
    assert.throws(() => validate({ ...out, category: [{ text: 'patient-transfer' }] } as never, profiles), about('Communication.category'), 'the category is coded');
  });

  it('keeps each message once, in the order sent', () => {
    const a = { ...message({ hospital, dispatch: DISPATCH, fromHospital: false, about: '', text: 'a', now: at('2026-12-03T10:00:00Z') }), id: 'a' };
    const b = { ...message({ hospital, dispatch: DISPATCH, fromHospital: true, about: '', text: 'b', now: at('2026-12-03T10:02:00Z') }), id: 'b' };
    const c = { ...message({ hospital, dispatch: DISPATCH, fromHospital: false, about: '', text: 'c', now: at('2026-12-03T10:01:00Z') }), id: 'c' };
    assert.deepEqual(merged(merged([b], [a, b]), [c]).map((m) => m.id), ['a', 'c', 'b']);
  });
});
