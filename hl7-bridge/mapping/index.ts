/**
 * The message types the bridge applies, each to the mapping of its message structure. A type not
 * listed is refused with AR 200/201 (unsupported message type or event).
 */
import type { MessageMapping } from './context.ts';
import { adtA01, adtA04, adtA08 } from './adt-a01.ts';
import { adtA02 } from './adt-a02.ts';
import { adtA03 } from './adt-a03.ts';
import { adtA05, adtPerson } from './adt-a05.ts';
import { adtA11, adtA12, adtA13 } from './adt-cancel.ts';
import { adtA40 } from './adt-a39.ts';
import { oruR01 } from './oru-r01.ts';
import { siuS12 } from './siu-s12.ts';

export const MAPPINGS: Readonly<Record<string, MessageMapping>> = {
  'ADT^A01': adtA01,
  'ADT^A02': adtA02,
  'ADT^A03': adtA03,
  'ADT^A04': adtA04,
  'ADT^A05': adtA05,
  'ADT^A08': adtA08,
  'ADT^A11': adtA11,
  'ADT^A12': adtA12,
  'ADT^A13': adtA13,
  'ADT^A28': adtPerson,
  'ADT^A31': adtPerson,
  'ADT^A40': adtA40,
  'ORU^R01': oruR01,
  'SIU^S12': siuS12,
  'SIU^S13': siuS12,
  'SIU^S14': siuS12,
  'SIU^S15': siuS12,
  'SIU^S17': siuS12,
  'SIU^S26': siuS12,
};

export { DEFAULT_MAPPING_OPTIONS, type MappingOptions, type MappingContext, type Effects, type AppliedMessage } from './context.ts';
export { mainIdentifier, patientKey } from './patient.ts';
export { visitKey } from './encounter.ts';
