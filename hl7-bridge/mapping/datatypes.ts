/**
 * HL7 v2 data types to FHIR data types, after the HL7 Version 2 to FHIR implementation guide's
 * data type maps (CX, XPN, XAD, XTN, CWE/CE, DTM/TS, DT, XCN, HD, SN, NM).
 * Each mapper takes one repetition of a field and returns undefined when there is nothing to map.
 * @see https://hl7.org/fhir/uv/v2mappings/datatype_maps.html
 */
import type { Address, CodeableConcept, Coding, ContactPoint, HumanName, Identifier, Practitioner, Quantity, Reference } from '@medplum/fhirtypes';
import type { Er7Repetition } from '../er7/index.ts';
import { assigningAuthoritySystem } from '../../profiles/index.ts';

const BASE = 'https://passerelle.health/fhir/NamingSystem/hl7v2';
const UCUM = 'http://unitsofmeasure.org';

/** Well-known v2 coding system names (table 0396) and their FHIR system URIs. */
const CODING_SYSTEMS: Record<string, string> = {
  LN: 'http://loinc.org',
  SCT: 'http://snomed.info/sct',
  SNM: 'http://snomed.info/sct',
  UCUM: UCUM,
  I10: 'http://hl7.org/fhir/sid/icd-10',
  I9C: 'http://hl7.org/fhir/sid/icd-9-cm',
  CPT4: 'http://www.ama-assn.org/go/cpt',
  C4: 'http://www.ama-assn.org/go/cpt',
};

/** v2 HD (hierarchic designator) as a FHIR system (shared with DICOM's issuers of patient ids). */
export const hdSystem = assigningAuthoritySystem;

/** The system of a v2 coding system name (CWE.3): known names as FHIR URIs, others under our base. */
export function codingSystem(name: string): string | undefined {
  if (!name) return undefined;
  const known = CODING_SYSTEMS[name.toUpperCase()];
  if (known) return known;
  if (/^HL7\d{4}$/i.test(name)) return `http://terminology.hl7.org/CodeSystem/v2-${name.slice(3)}`;
  if (/^[0-2](\.\d+)+$/.test(name)) return `urn:oid:${name}`;
  return `${BASE}/codesystem/${encodeURIComponent(name)}`;
}

/** CX (extended composite id) to Identifier: CX.1 value, CX.4 assigning authority as system, CX.5 type (v2-0203). */
export function cxIdentifier(cx: Er7Repetition): Identifier | undefined {
  const value = cx.get(1).trim();
  if (!value) return undefined;
  const system = hdSystem(cx.get(4, 1), cx.get(4, 2), cx.get(4, 3));
  const typeCode = cx.get(5).trim();
  const identifier: Identifier = { value };
  if (system) identifier.system = system;
  if (typeCode) identifier.type = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: typeCode }] };
  if (cx.get(4, 1)) identifier.assigner = { display: cx.get(4, 1) };
  return identifier;
}

const NAME_USE: Record<string, HumanName['use']> = {
  L: 'official', D: 'usual', M: 'maiden', N: 'nickname', A: 'anonymous', B: 'official', C: 'old', S: 'anonymous', T: 'temp', U: 'usual',
};

/** XPN (person name) to HumanName: family, given and middle names, prefix, suffix, use (table 0200). */
export function xpnName(xpn: Er7Repetition): HumanName | undefined {
  const family = xpn.get(1).trim();
  const given = [xpn.get(2), xpn.get(3)].map((s) => s.trim()).filter(Boolean);
  if (!family && given.length === 0) return undefined;
  const name: HumanName = {};
  const use = NAME_USE[xpn.get(7).trim().toUpperCase()];
  if (use) name.use = use;
  if (family) name.family = family;
  if (given.length) name.given = given;
  const prefix = xpn.get(5).trim();
  if (prefix) name.prefix = [prefix];
  const suffix = [xpn.get(4), xpn.get(6)].map((s) => s.trim()).filter(Boolean);
  if (suffix.length) name.suffix = suffix;
  return name;
}

const ADDRESS_USE: Record<string, Address['use']> = { H: 'home', B: 'work', O: 'work', C: 'temp', BA: 'old', M: 'home', BDL: 'home' };

/** XAD (address) to Address: street, other designation, city, state, postal code, country, use (table 0190). */
export function xadAddress(xad: Er7Repetition): Address | undefined {
  const lines = [xad.get(1, 1), xad.get(2)].map((s) => s.trim()).filter(Boolean);
  const city = xad.get(3).trim();
  const state = xad.get(4).trim();
  const postalCode = xad.get(5).trim();
  const country = xad.get(6).trim();
  if (!lines.length && !city && !state && !postalCode && !country) return undefined;
  const address: Address = {};
  const type = xad.get(7).trim().toUpperCase();
  if (ADDRESS_USE[type]) address.use = ADDRESS_USE[type];
  if (type === 'M') address.type = 'postal';
  if (lines.length) address.line = lines;
  if (city) address.city = city;
  if (state) address.state = state;
  if (postalCode) address.postalCode = postalCode;
  if (country) address.country = country;
  return address;
}

const TELECOM_USE: Record<string, ContactPoint['use']> = { PRN: 'home', ORN: 'home', WPN: 'work', VHN: 'home', ASN: 'work', EMR: 'home', NET: undefined, BPN: 'work', PRS: 'mobile' };
const TELECOM_SYSTEM: Record<string, ContactPoint['system']> = { PH: 'phone', FX: 'fax', MD: 'phone', CP: 'phone', BP: 'pager', Internet: 'email', X400: 'email', TDD: 'other', TTY: 'other' };

/** XTN (telecommunication number) to ContactPoint; `fallbackUse` for PID-13 (home) and PID-14 (work). */
export function xtnContact(xtn: Er7Repetition, fallbackUse?: ContactPoint['use']): ContactPoint | undefined {
  const equipment = xtn.get(3).trim();
  const email = xtn.get(4).trim();
  const composed = [xtn.get(5), xtn.get(6), xtn.get(7)].map((s) => s.trim()).filter(Boolean).join(' ');
  const value = (equipment === 'Internet' || equipment === 'X.400' ? email : '') || xtn.get(12).trim() || composed || xtn.get(1).trim() || email;
  if (!value) return undefined;
  const contact: ContactPoint = { value };
  const system = TELECOM_SYSTEM[equipment] ?? (value.includes('@') ? 'email' : 'phone');
  contact.system = system;
  const use = TELECOM_USE[xtn.get(2).trim()] ?? (equipment === 'CP' ? 'mobile' : fallbackUse);
  if (use) contact.use = use;
  return contact;
}

/** CWE / CE (coded element) to CodeableConcept: identifier, text, coding system, and the alternate triplet. */
export function cweConcept(cwe: Er7Repetition): CodeableConcept | undefined {
  const codings: Coding[] = [];
  for (const first of [1, 4]) {
    const code = cwe.get(first).trim();
    const display = cwe.get(first + 1).trim();
    if (!code) continue;
    const coding: Coding = { code };
    const system = codingSystem(cwe.get(first + 2).trim());
    if (system) coding.system = system;
    if (display) coding.display = display;
    codings.push(coding);
  }
  const text = cwe.get(9).trim() || cwe.get(2).trim() || cwe.get(5).trim();
  if (!codings.length && !text) return undefined;
  const concept: CodeableConcept = {};
  if (codings.length) concept.coding = codings;
  if (text) concept.text = text;
  return concept;
}

/** XCN (extended composite id and name for persons) to a logical Reference (identifier and display). */
export function xcnReference(xcn: Er7Repetition): Reference<Practitioner> | undefined {
  const id = xcn.get(1).trim();
  const name = [xcn.get(6), xcn.get(3), xcn.get(4), xcn.get(2)].map((s) => s.trim()).filter(Boolean).join(' ');
  if (!id && !name) return undefined;
  const reference: Reference<Practitioner> = { type: 'Practitioner' };
  if (id) {
    const system = hdSystem(xcn.get(9, 1), xcn.get(9, 2), xcn.get(9, 3));
    reference.identifier = system ? { system, value: id } : { value: id };
  }
  if (name) reference.display = name;
  return reference;
}

/** The UTC offset (`+01:00`) of a zone (`+0100` or an IANA name such as `Europe/Paris`) at a wall-clock time. */
export function zoneOffset(zone: string, wallClock: { y: number; mo: number; d: number; h: number; mi: number; s: number }): string {
  const fixed = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
  if (fixed) return `${fixed[1]}${fixed[2]}:${fixed[3]}`;
  const asUtc = Date.UTC(wallClock.y, wallClock.mo - 1, wallClock.d, wallClock.h, wallClock.mi, wallClock.s);
  const offsetAt = (instant: number): number => {
    const name = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' }).formatToParts(instant).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
    const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
    return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
  };
  // The offset at the instant the wall-clock time names, found in two steps (around a DST change the first guess is off).
  const minutes = offsetAt(asUtc - offsetAt(asUtc) * 60_000);
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/**
 * DTM / TS (YYYY[MM[DD[HH[MM[SS[.S+]]]]]][+/-ZZZZ]) to a FHIR dateTime. A time without a zone is
 * read in `zone` (the sender's: `+0100` or an IANA name); an unreadable value gives undefined.
 * @see HL7 v2.5 section 2.A.22 (DTM)
 */
export function dtmDateTime(value: string, zone = 'UTC'): string | undefined {
  const m = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\.\d{1,4})?([+-]\d{4})?$/.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, sent] = m;
  if (mo && (Number(mo) < 1 || Number(mo) > 12)) return undefined;
  if (d && (Number(d) < 1 || Number(d) > 31)) return undefined;
  if (!h || !d || !mo) return [y, mo, d].filter(Boolean).join('-');
  if (Number(h) > 23 || Number(mi ?? 0) > 59 || Number(s ?? 0) > 59) return undefined;
  const offset = sent ? `${sent.slice(0, 3)}:${sent.slice(3)}` : zoneOffset(zone === 'UTC' ? '+0000' : zone, { y: Number(y), mo: Number(mo), d: Number(d), h: Number(h), mi: Number(mi ?? 0), s: Number(s ?? 0) });
  return `${y}-${mo}-${d}T${h}:${mi ?? '00'}:${s ?? '00'}${frac ?? ''}${offset}`;
}

/** DT (and the date part of a DTM) to a FHIR date (YYYY, YYYY-MM or YYYY-MM-DD). */
export function dtDate(value: string): string | undefined {
  const m = /^(\d{4})(\d{2})?(\d{2})?/.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d] = m;
  if (mo && (Number(mo) < 1 || Number(mo) > 12)) return undefined;
  if (d && (Number(d) < 1 || Number(d) > 31)) return undefined;
  return [y, mo, d].filter(Boolean).join('-');
}

/** A v2 numeric (NM) as a number, undefined when it is not one. */
export function nmNumber(value: string): number | undefined {
  const trimmed = value.trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(trimmed)) return undefined;
  return Number(trimmed);
}

/** A unit (CWE, e.g. OBX-6) as Quantity unit fields: UCUM system and code only when the message says UCUM. */
export function unitOf(unit: Er7Repetition | undefined): Pick<Quantity, 'unit' | 'system' | 'code'> {
  if (!unit) return {};
  const code = unit.get(1).trim();
  const text = unit.get(2).trim() || code;
  if (!code && !text) return {};
  const systemName = unit.get(3).trim().toUpperCase();
  if (systemName === 'UCUM') return { unit: text, system: UCUM, code };
  return { unit: text };
}
