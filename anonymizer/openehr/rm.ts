/**
 * The openEHR Reference Model classes Passerelle reads (RM 1.0.4 and later: COMPOSITION and
 * EHR_STATUS with the entries, data structures and data values they hold), as data: each class
 * with its attributes and their types. `@openehr/rm` is not on the registry, so the few classes
 * are typed here. Reading checks a canonical JSON document against this model: every object has
 * a known class (its `_type`, which may be left out only where the attribute's type is concrete),
 * every attribute belongs to its class and has the declared type. Anything else is refused: an
 * anonymiser must not pass on what it cannot judge.
 * @see https://specifications.openehr.org/releases/ITS-JSON/latest/ (canonical JSON)
 * @see https://specifications.openehr.org/releases/RM/latest/ehr.html
 * @see https://specifications.openehr.org/releases/RM/latest/data_types.html
 */

/** An attribute: a primitive, or an object (or a list of objects) of a class or of an abstract class's descendants. */
export type Attribute = 'string' | 'number' | 'integer' | 'boolean' | { type: string; list?: true };

const one = (type: string): Attribute => ({ type });
const many = (type: string): Attribute => ({ type, list: true });

/** The attributes every LOCATABLE has. */
const LOCATABLE = { uid: one('UID_BASED_ID'), archetype_node_id: 'string', name: one('DV_TEXT'), archetype_details: one('ARCHETYPED'), feeder_audit: one('FEEDER_AUDIT'), links: many('LINK') } as const;
/** ENTRY's attributes (ENTRY is a LOCATABLE). */
const ENTRY = { ...LOCATABLE, language: one('CODE_PHRASE'), encoding: one('CODE_PHRASE'), subject: one('PARTY_PROXY'), provider: one('PARTY_PROXY'), other_participations: many('PARTICIPATION'), workflow_id: one('OBJECT_REF'), guideline_id: one('OBJECT_REF') } as const;
/** DV_ORDERED's attributes (reference ranges and status of a measured or dated value). */
const ORDERED = { normal_status: one('CODE_PHRASE'), normal_range: one('DV_INTERVAL'), other_reference_ranges: many('REFERENCE_RANGE') } as const;
const QUANTIFIED = { ...ORDERED, magnitude_status: 'string', accuracy: 'number', accuracy_is_percent: 'boolean' } as const;
const TEMPORAL = { ...ORDERED, magnitude_status: 'string', accuracy: one('DV_DURATION') } as const;
const EVENT = { ...LOCATABLE, time: one('DV_DATE_TIME'), data: one('ITEM_STRUCTURE'), state: one('ITEM_STRUCTURE') } as const;
const TEXT = { value: 'string', hyperlink: one('DV_URI'), formatting: 'string', mappings: many('TERM_MAPPING'), language: one('CODE_PHRASE'), encoding: one('CODE_PHRASE') } as const;

/** The concrete classes and their attributes. */
export const CLASSES: Readonly<Record<string, Readonly<Record<string, Attribute>>>> = {
  COMPOSITION: { ...LOCATABLE, language: one('CODE_PHRASE'), territory: one('CODE_PHRASE'), category: one('DV_CODED_TEXT'), composer: one('PARTY_PROXY'), context: one('EVENT_CONTEXT'), content: many('CONTENT_ITEM') },
  EHR_STATUS: { ...LOCATABLE, subject: one('PARTY_SELF'), is_queryable: 'boolean', is_modifiable: 'boolean', other_details: one('ITEM_STRUCTURE') },
  EVENT_CONTEXT: { start_time: one('DV_DATE_TIME'), end_time: one('DV_DATE_TIME'), location: 'string', setting: one('DV_CODED_TEXT'), other_context: one('ITEM_STRUCTURE'), health_care_facility: one('PARTY_IDENTIFIED'), participations: many('PARTICIPATION') },
  SECTION: { ...LOCATABLE, items: many('CONTENT_ITEM') },
  OBSERVATION: { ...ENTRY, protocol: one('ITEM_STRUCTURE'), data: one('HISTORY'), state: one('HISTORY') },
  EVALUATION: { ...ENTRY, protocol: one('ITEM_STRUCTURE'), data: one('ITEM_STRUCTURE') },
  INSTRUCTION: { ...ENTRY, protocol: one('ITEM_STRUCTURE'), narrative: one('DV_TEXT'), expiry_time: one('DV_DATE_TIME'), wf_definition: one('DV_PARSABLE'), activities: many('ACTIVITY') },
  ACTIVITY: { ...LOCATABLE, description: one('ITEM_STRUCTURE'), timing: one('DV_PARSABLE'), action_archetype_id: 'string' },
  ACTION: { ...ENTRY, protocol: one('ITEM_STRUCTURE'), time: one('DV_DATE_TIME'), description: one('ITEM_STRUCTURE'), ism_transition: one('ISM_TRANSITION'), instruction_details: one('INSTRUCTION_DETAILS') },
  ISM_TRANSITION: { ...LOCATABLE, current_state: one('DV_CODED_TEXT'), transition: one('DV_CODED_TEXT'), careflow_step: one('DV_CODED_TEXT'), reason: many('DV_TEXT') },
  INSTRUCTION_DETAILS: { instruction_id: one('LOCATABLE_REF'), activity_id: 'string', wf_details: one('ITEM_STRUCTURE') },
  ADMIN_ENTRY: { ...ENTRY, data: one('ITEM_STRUCTURE') },
  HISTORY: { ...LOCATABLE, origin: one('DV_DATE_TIME'), period: one('DV_DURATION'), duration: one('DV_DURATION'), events: many('EVENT'), summary: one('ITEM_STRUCTURE') },
  POINT_EVENT: EVENT,
  INTERVAL_EVENT: { ...EVENT, width: one('DV_DURATION'), sample_count: 'integer', math_function: one('DV_CODED_TEXT') },
  ITEM_TREE: { ...LOCATABLE, items: many('ITEM') },
  ITEM_LIST: { ...LOCATABLE, items: many('ELEMENT') },
  ITEM_SINGLE: { ...LOCATABLE, item: one('ELEMENT') },
  ITEM_TABLE: { ...LOCATABLE, rows: many('CLUSTER') },
  CLUSTER: { ...LOCATABLE, items: many('ITEM') },
  ELEMENT: { ...LOCATABLE, value: one('DATA_VALUE'), null_flavour: one('DV_CODED_TEXT'), null_reason: one('DV_TEXT') },
  PARTY_SELF: { external_ref: one('PARTY_REF') },
  PARTY_IDENTIFIED: { external_ref: one('PARTY_REF'), name: 'string', identifiers: many('DV_IDENTIFIER') },
  PARTY_RELATED: { external_ref: one('PARTY_REF'), name: 'string', identifiers: many('DV_IDENTIFIER'), relationship: one('DV_CODED_TEXT') },
  PARTICIPATION: { function: one('DV_TEXT'), mode: one('DV_CODED_TEXT'), performer: one('PARTY_PROXY'), time: one('DV_INTERVAL') },
  FEEDER_AUDIT: { originating_system_item_ids: many('DV_IDENTIFIER'), feeder_system_item_ids: many('DV_IDENTIFIER'), original_content: one('DV_ENCAPSULATED'), originating_system_audit: one('FEEDER_AUDIT_DETAILS'), feeder_system_audit: one('FEEDER_AUDIT_DETAILS') },
  FEEDER_AUDIT_DETAILS: { system_id: 'string', location: one('PARTY_IDENTIFIED'), provider: one('PARTY_IDENTIFIED'), subject: one('PARTY_PROXY'), time: one('DV_DATE_TIME'), version_id: 'string', other_details: one('ITEM_STRUCTURE') },
  LINK: { meaning: one('DV_TEXT'), type: one('DV_TEXT'), target: one('DV_EHR_URI') },
  ARCHETYPED: { archetype_id: one('ARCHETYPE_ID'), template_id: one('TEMPLATE_ID'), rm_version: 'string' },
  PARTY_REF: { id: one('OBJECT_ID'), namespace: 'string', type: 'string' },
  OBJECT_REF: { id: one('OBJECT_ID'), namespace: 'string', type: 'string' },
  LOCATABLE_REF: { id: one('UID_BASED_ID'), namespace: 'string', type: 'string', path: 'string' },
  HIER_OBJECT_ID: { value: 'string' },
  OBJECT_VERSION_ID: { value: 'string' },
  GENERIC_ID: { value: 'string', scheme: 'string' },
  ARCHETYPE_ID: { value: 'string' },
  TEMPLATE_ID: { value: 'string' },
  TERMINOLOGY_ID: { value: 'string' },
  CODE_PHRASE: { terminology_id: one('TERMINOLOGY_ID'), code_string: 'string', preferred_term: 'string' },
  TERM_MAPPING: { match: 'string', purpose: one('DV_CODED_TEXT'), target: one('CODE_PHRASE') },
  REFERENCE_RANGE: { meaning: one('DV_TEXT'), range: one('DV_INTERVAL') },
  DV_TEXT: TEXT,
  DV_CODED_TEXT: { ...TEXT, defining_code: one('CODE_PHRASE') },
  DV_BOOLEAN: { value: 'boolean' },
  DV_IDENTIFIER: { issuer: 'string', assigner: 'string', id: 'string', type: 'string' },
  DV_URI: { value: 'string' },
  DV_EHR_URI: { value: 'string' },
  DV_PARSABLE: { value: 'string', formalism: 'string', size: 'integer', language: one('CODE_PHRASE'), encoding: one('CODE_PHRASE') },
  DV_MULTIMEDIA: { alternate_text: 'string', uri: one('DV_URI'), data: 'string', media_type: one('CODE_PHRASE'), compression_algorithm: one('CODE_PHRASE'), integrity_check: 'string', integrity_check_algorithm: one('CODE_PHRASE'), size: 'integer', thumbnail: one('DV_MULTIMEDIA'), language: one('CODE_PHRASE'), charset: one('CODE_PHRASE') },
  DV_STATE: { value: one('DV_CODED_TEXT'), is_terminal: 'boolean' },
  DV_QUANTITY: { ...QUANTIFIED, magnitude: 'number', units: 'string', precision: 'integer', units_system: 'string', units_display_name: 'string', property: one('CODE_PHRASE') },
  DV_COUNT: { ...QUANTIFIED, magnitude: 'integer' },
  DV_PROPORTION: { ...QUANTIFIED, numerator: 'number', denominator: 'number', type: 'integer', precision: 'integer' },
  DV_ORDINAL: { ...ORDERED, value: 'integer', symbol: one('DV_CODED_TEXT') },
  DV_SCALE: { ...ORDERED, value: 'number', symbol: one('DV_CODED_TEXT') },
  DV_DATE_TIME: { ...TEMPORAL, value: 'string' },
  DV_DATE: { ...TEMPORAL, value: 'string' },
  DV_TIME: { ...TEMPORAL, value: 'string' },
  DV_DURATION: { ...QUANTIFIED, value: 'string' },
  DV_INTERVAL: { lower: one('DV_ORDERED'), upper: one('DV_ORDERED'), lower_included: 'boolean', upper_included: 'boolean', lower_unbounded: 'boolean', upper_unbounded: 'boolean' },
};

const ORDERED_VALUES = ['DV_QUANTITY', 'DV_COUNT', 'DV_PROPORTION', 'DV_ORDINAL', 'DV_SCALE', 'DV_DATE_TIME', 'DV_DATE', 'DV_TIME', 'DV_DURATION'];

/** The abstract classes attributes are declared with, and the concrete classes they allow. */
export const ABSTRACT: Readonly<Record<string, readonly string[]>> = {
  CONTENT_ITEM: ['SECTION', 'OBSERVATION', 'EVALUATION', 'INSTRUCTION', 'ACTION', 'ADMIN_ENTRY'],
  ITEM_STRUCTURE: ['ITEM_TREE', 'ITEM_LIST', 'ITEM_SINGLE', 'ITEM_TABLE'],
  ITEM: ['CLUSTER', 'ELEMENT'],
  EVENT: ['POINT_EVENT', 'INTERVAL_EVENT'],
  PARTY_PROXY: ['PARTY_SELF', 'PARTY_IDENTIFIED', 'PARTY_RELATED'],
  OBJECT_ID: ['HIER_OBJECT_ID', 'OBJECT_VERSION_ID', 'GENERIC_ID', 'ARCHETYPE_ID', 'TEMPLATE_ID', 'TERMINOLOGY_ID'],
  UID_BASED_ID: ['HIER_OBJECT_ID', 'OBJECT_VERSION_ID'],
  DV_ORDERED: ORDERED_VALUES,
  DV_ENCAPSULATED: ['DV_PARSABLE', 'DV_MULTIMEDIA'],
  DATA_VALUE: ['DV_TEXT', 'DV_CODED_TEXT', 'DV_BOOLEAN', 'DV_IDENTIFIER', 'DV_URI', 'DV_EHR_URI', 'DV_PARSABLE', 'DV_MULTIMEDIA', 'DV_STATE', 'DV_INTERVAL', ...ORDERED_VALUES],
};

/** A class allowed where `declared` is expected: itself, or a descendant (DV_CODED_TEXT is a DV_TEXT, DV_EHR_URI a DV_URI). */
function conforms(actual: string, declared: string): boolean {
  if (actual === declared) return true;
  if (declared === 'DV_TEXT') return actual === 'DV_CODED_TEXT';
  if (declared === 'DV_URI') return actual === 'DV_EHR_URI';
  return ABSTRACT[declared]?.includes(actual) ?? false;
}

/** One RM object as read: its class and its attributes (primitives, objects or lists of objects). */
export interface RmObject {
  readonly _type: string;
  [attribute: string]: RmValue;
}
export type RmValue = string | number | boolean | RmObject | RmObject[] | undefined;

/** A document does not conform to the RM classes Passerelle knows; `path` says where. */
export class InvalidRmError extends Error {
  readonly path: string;

  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.path = path;
  }
}

/**
 * Reads canonical JSON as an object of class `declared` (or a descendant), checking it all the way down.
 * @throws InvalidRmError at the first part that does not conform
 */
export function readRm(json: unknown, declared: string, path = '/'): RmObject {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new InvalidRmError(path, `expected an object of class ${declared}`);
  const source = json as Record<string, unknown>;
  const type = typeof source._type === 'string' ? source._type : declared in CLASSES ? declared : undefined;
  if (type === undefined) throw new InvalidRmError(path, `_type is required where the class is abstract (${declared})`);
  const attributes = CLASSES[type];
  if (!attributes) throw new InvalidRmError(path, `class ${type} is not one Passerelle reads`);
  if (!conforms(type, declared)) throw new InvalidRmError(path, `class ${type} is not a ${declared}`);
  const out: RmObject = { _type: type };
  for (const [name, value] of Object.entries(source)) {
    if (name === '_type' || value === null || value === undefined) continue;
    const attribute = attributes[name];
    if (attribute === undefined) throw new InvalidRmError(path, `${type} has no attribute "${name}"`);
    out[name] = readAttribute(value, attribute, `${path}${path.endsWith('/') ? '' : '/'}${name}`);
  }
  return out;
}

function readAttribute(value: unknown, attribute: Attribute, path: string): RmValue {
  if (typeof attribute === 'object') {
    if (!attribute.list) return readRm(value, attribute.type, path);
    if (!Array.isArray(value)) throw new InvalidRmError(path, `expected a list of ${attribute.type}`);
    return value.map((item, index) => readRm(item, attribute.type, `${path}[${index}]`));
  }
  const ok = attribute === 'integer' ? Number.isInteger(value) : typeof value === attribute;
  if (!ok) throw new InvalidRmError(path, `expected ${attribute === 'integer' ? 'an integer' : `a ${attribute}`}`);
  return value as string | number | boolean;
}

/** The attribute's declared type, for a class read by `readRm`. */
export function attributeOf(type: string, name: string): Attribute | undefined {
  return CLASSES[type]?.[name];
}
