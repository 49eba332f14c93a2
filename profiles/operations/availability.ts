/** Reading a ward's bed-availability Observation (see profiles/bed-availability.ts). */
import type { Coding, Observation } from '@medplum/fhirtypes';
import { PASSERELLE_SYSTEM, SPECIALTIES } from '../model.ts';

/** A count component of the Observation (`total`, `available`...), 0 when absent. */
export function countOf(observation: Observation, code: string): number {
  const component = observation.component?.find((c) => c.code.coding?.some((x) => x.system === PASSERELLE_SYSTEM.bedAvailability && x.code === code));
  return component?.valueQuantity?.value ?? 0;
}

/** The ward's free beds of a specialty: the value of the component coded with it (0 when absent). */
export function freeBedsOf(observation: Observation, specialtyCode: string): number {
  const component = observation.component?.find((c) => c.code.coding?.some((x) => x.system === PASSERELLE_SYSTEM.specialty && x.code === specialtyCode));
  return component?.valueQuantity?.value ?? 0;
}

/** The ward's specialty codings, as carried by the Observation's specialty component. */
export function specialtiesOf(observation: Observation): Coding[] {
  return (observation.component ?? []).flatMap((c) => (c.code.coding ?? []).filter((x) => x.system === PASSERELLE_SYSTEM.specialty));
}

/**
 * `cardiology` or `system|cardiology` as a specialty coding in our system; undefined for anything
 * else, including an unknown code (a typo must not read as "no free bed anywhere").
 */
export function parseSpecialty(text: string): { system: string; code: string } | undefined {
  const [first, second] = text.split('|', 2) as [string, string | undefined];
  const [system, code] = second === undefined ? [PASSERELLE_SYSTEM.specialty, first] : [first, second];
  return system === PASSERELLE_SYSTEM.specialty && code in SPECIALTIES ? { system, code } : undefined;
}
