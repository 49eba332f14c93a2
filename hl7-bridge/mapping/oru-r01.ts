/**
 * ORU_R01 (R01, unsolicited observation result): one Observation per OBX, after the v2-to-FHIR
 * segment map OBX[Observation]: code (OBX-3), value by value type (OBX-2: NM and SN as Quantity,
 * Range or Ratio with the unit of OBX-6, UCUM when the message says so; CE/CWE/CNE as
 * CodeableConcept; ST/TX/FT as string; DT/DTM/TS as dateTime; TM as time), reference range (OBX-7),
 * interpretation (OBX-8), status (OBX-11), time (OBX-14, else OBR-7), performer (OBX-16); linked to
 * the Patient (PID) and, when PV1-19 names a known visit, its Encounter. Values of other types
 * (ED, RP: documents and pointers) are not mapped to Observations.
 * @see https://hl7.org/fhir/uv/v2mappings/segment_maps.html (OBX[Observation])
 */
import type { Observation, ObservationReferenceRange, Practitioner, Quantity, Reference } from '@medplum/fhirtypes';
import type { Er7Segment } from '../er7/index.ts';
import { ERROR_CODE, applicationError, requiredField } from '../errors.ts';
import type { MappingContext, MessageMapping } from './context.ts';
import { cweConcept, dtmDateTime, nmNumber, unitOf, xcnReference } from './datatypes.ts';
import { currentEncounter } from './encounter.ts';
import { naturalId } from './ids.ts';
import { upsertPatient } from './patient.ts';
import { requireSegment } from './segments.ts';

/** Table 0085 (observation result status) to FHIR observation status. */
const RESULT_STATUS: Record<string, Observation['status']> = {
  F: 'final', C: 'corrected', P: 'preliminary', S: 'preliminary', R: 'preliminary', I: 'registered', A: 'amended',
  X: 'cancelled', D: 'entered-in-error', W: 'entered-in-error', U: 'final', N: 'unknown',
};

const INTERPRETATION = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';
const COMPARATORS: Record<string, Quantity['comparator']> = { '<': '<', '<=': '<=', '>': '>', '>=': '>=' };

type ObservationValue = Pick<Observation, 'valueQuantity' | 'valueRange' | 'valueRatio' | 'valueCodeableConcept' | 'valueString' | 'valueDateTime' | 'valueTime'>;

/** OBX-5 by OBX-2; undefined for a type not mapped, an AE 102 for a value that is not of its type. */
function valueOf(obx: Er7Segment, zone: string): ObservationValue | undefined {
  const type = obx.get(2).trim().toUpperCase();
  const field = obx.field(5);
  const first = field.repetitions[0];
  if (!first || field.isEmpty()) return {};
  const unit = unitOf(obx.field(6).repetitions[0]);
  const bad = (): never => { throw applicationError(ERROR_CODE.dataType, `OBX-5 is not a valid ${type}`, { segment: 'OBX', sequence: obx.sequence, field: 5 }); };
  switch (type) {
    case 'NM': {
      const value = nmNumber(first.get(1)) ?? bad();
      return { valueQuantity: { value, ...unit } };
    }
    case 'SN': {
      const comparator = first.get(1).trim();
      const low = nmNumber(first.get(2));
      const separator = first.get(3).trim();
      const high = nmNumber(first.get(4));
      if (low === undefined) bad();
      if ((separator === '-' || separator === '^') && high !== undefined) return { valueRange: { low: { value: low, ...unit }, high: { value: high, ...unit } } };
      if ((separator === ':' || separator === '/') && high !== undefined) return { valueRatio: { numerator: { value: low }, denominator: { value: high } } };
      return { valueQuantity: { value: low as number, ...unit, ...(COMPARATORS[comparator] ? { comparator: COMPARATORS[comparator] } : {}) } };
    }
    case 'CE': case 'CWE': case 'CNE': case 'CF':
      return { valueCodeableConcept: cweConcept(first) ?? bad() };
    case 'ST': case 'TX': case 'FT':
      return { valueString: field.repetitions.map((r) => r.get(1)).join('\n') };
    case 'DT': case 'DTM': case 'TS':
      return { valueDateTime: dtmDateTime(first.get(1), zone) ?? bad() };
    case 'TM': {
      const m = /^(\d{2})(\d{2})?(\d{2})?/.exec(first.get(1).trim()) ?? bad();
      return { valueTime: `${m[1]}:${m[2] ?? '00'}:${m[3] ?? '00'}` };
    }
    default:
      return undefined;
  }
}

/** OBX-7 ("70-105", "<5", ">10") as a reference range in the unit of the value. */
function referenceRange(text: string, unit: Pick<Quantity, 'unit' | 'system' | 'code'>): ObservationReferenceRange | undefined {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  const range = /^(-?[\d.]+)\s*[-_]\s*(-?[\d.]+)$/.exec(trimmed);
  if (range) return { low: { value: Number(range[1]), ...unit }, high: { value: Number(range[2]), ...unit } };
  const below = /^<=?\s*(-?[\d.]+)$/.exec(trimmed);
  if (below) return { high: { value: Number(below[1]), ...unit } };
  const above = /^>=?\s*(-?[\d.]+)$/.exec(trimmed);
  if (above) return { low: { value: Number(above[1]), ...unit } };
  return { text: trimmed };
}

/** The OBX segments of each OBR (order) group, in message order. */
function orderGroups(ctx: MappingContext): { obr: Er7Segment | undefined; observations: Er7Segment[] }[] {
  const groups: { obr: Er7Segment | undefined; observations: Er7Segment[] }[] = [];
  for (const segment of ctx.message.segments) {
    if (segment.name === 'OBR') groups.push({ obr: segment, observations: [] });
    else if (segment.name === 'OBX') {
      if (groups.length === 0) groups.push({ obr: undefined, observations: [] });
      groups.at(-1)?.observations.push(segment);
    }
  }
  return groups;
}

export const oruR01: MessageMapping = async (ctx) => {
  const pid = requireSegment(ctx, 'PID');
  const subject = await upsertPatient(ctx.repo, pid);
  const pv1 = ctx.message.segment('PV1');
  const encounter = pv1 && !pv1.field(19).isEmpty() ? await currentEncounter(ctx, pv1) : undefined;
  const zone = ctx.options.defaultTimeZone;
  for (const { obr, observations } of orderGroups(ctx)) {
    const order = obr ? (obr.get(3) || obr.get(2)) : '';
    const seen = new Map<string, number>();
    for (const obx of observations) {
      const code = obx.field(3).repetitions[0];
      const concept = code && cweConcept(code);
      if (!concept) throw requiredField('OBX', 3, 'observation identifier');
      const value = valueOf(obx, zone);
      if (value === undefined) continue;
      // Same order, code and sub-id: the same observation (a correction overwrites it).
      const codeKey = `${code.get(3)}|${code.get(1)}|${obx.get(4)}`;
      const occurrence = (seen.get(codeKey) ?? 0) + 1;
      seen.set(codeKey, occurrence);
      const unit = unitOf(obx.field(6).repetitions[0]);
      const range = referenceRange(obx.get(7), unit);
      const interpretation = obx.field(8).repetitions.map((r) => r.get(1).trim()).filter(Boolean);
      const performer = obx.field(16).repetitions.map(xcnReference).filter((r): r is Reference<Practitioner> => r !== undefined);
      const effective = dtmDateTime(obx.get(14), zone) ?? (obr && (dtmDateTime(obr.get(7), zone) ?? dtmDateTime(obr.get(8), zone)));
      const observation: Observation = {
        resourceType: 'Observation',
        id: naturalId('obs', subject.reference as string, order || ctx.message.controlId, codeKey, String(occurrence)),
        status: RESULT_STATUS[obx.get(11).trim().toUpperCase()] ?? 'unknown',
        code: concept,
        subject,
        ...(encounter ? { encounter: { reference: `Encounter/${encounter.id}` } } : {}),
        ...(effective ? { effectiveDateTime: effective } : {}),
        ...value,
        ...(range ? { referenceRange: [range] } : {}),
        ...(interpretation.length ? { interpretation: interpretation.map((c) => ({ coding: [{ system: INTERPRETATION, code: c }] })) } : {}),
        ...(performer.length ? { performer } : {}),
      };
      await ctx.repo.update(observation);
    }
  }
};
