/** Which acknowledgement is due (original and enhanced modes) and how it is written. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { acknowledgementFor, buildAck } from '../../hl7-bridge/ack.ts';
import { parseEr7 } from '../../hl7-bridge/er7/index.ts';
import { ERROR_CODE, applicationError } from '../../hl7-bridge/errors.ts';

const message = (accept: string, application: string, version = '2.5') =>
  parseEr7(`MSH|^~\\&|EHR|HOSP|PAS|HOSP|20260101||ADT^A01^ADT_A01|C1|P|${version}|||${accept}|${application}|FRA|8859/1\rPID|1\r`);

describe('HL7 v2 acknowledgements', () => {
  it('answers in the original mode when MSH-15 and MSH-16 are empty', () => {
    assert.deepEqual(['AA', 'AE', 'AR'].map((o) => acknowledgementFor(message('', ''), o as 'AA')), ['AA', 'AE', 'AR']);
  });

  it('follows the enhanced mode conditions (AL, NE, ER, SU)', () => {
    assert.equal(acknowledgementFor(message('AL', 'NE'), 'AA'), 'CA');
    assert.equal(acknowledgementFor(message('AL', 'NE'), 'AR'), 'CR');
    assert.equal(acknowledgementFor(message('NE', 'NE'), 'AA'), undefined);
    assert.equal(acknowledgementFor(message('NE', 'ER'), 'AA'), undefined);
    assert.equal(acknowledgementFor(message('NE', 'ER'), 'AE'), 'AE');
    assert.equal(acknowledgementFor(message('ER', 'SU'), 'AA'), 'AA');
    assert.equal(acknowledgementFor(message('ER', 'SU'), 'AR'), 'CR');
    assert.equal(acknowledgementFor(message('AL', 'AL'), 'AE'), 'AE');
  });

  it('swaps sender and receiver, echoes MSH-10 and the character set, and writes ERR for the version', () => {
    const error = applicationError(ERROR_CODE.requiredFieldMissing, 'PID-3 is required', { segment: 'PID', field: 3 });
    const now = new Date('2026-03-01T10:00:00Z');
    const v25 = buildAck({ message: message('', ''), code: 'AE', error, controlId: 'A7', now }).split('\r');
    assert.deepEqual(v25.slice(0, 3), [
      'MSH|^~\\&|PAS|HOSP|EHR|HOSP|20260301100000+0000||ACK^A01^ACK|A7|P|2.5||||||8859/1',
      'MSA|AE|C1',
      'ERR||PID^1^3^1|101^Required field missing^HL70357|E||||PID-3 is required',
    ]);
    const v23 = buildAck({ message: message('', '', '2.3'), code: 'AE', error, controlId: 'A8', now }).split('\r');
    assert.deepEqual(v23.slice(1, 3), ['MSA|AE|C1|PID-3 is required', 'ERR|PID^1^3^101&Required field missing&HL70357']);
    assert.match(v23[0] ?? '', /\|ACK\^A01\|A8\|/, 'no message structure before v2.4');
  });
});
