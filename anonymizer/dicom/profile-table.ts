/**
 * PS3.15 Table E.1-1 as data: the standard's rows (shipped verbatim in
 * confidentiality-profile.json, read and checked once at start-up), turned into one action per
 * attribute for a choice of options. Nothing here names an attribute: the table does.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part15/chapter_E.html#table_E.1-1
 */
import { readFileSync } from 'node:fs';
import { OPTION_COLUMNS, type DicomAnonymizeOptions, type OptionColumn } from './options.ts';

export interface ProfileRow {
  name: string;
  /** As printed in the standard: `(0008,0050)`, `(50XX,XXXX)`, `(GGGG,EEEE) WHERE GGGG IS ODD`. */
  tag: string;
  /** Lower-case hex of the tag, `x` for a repeating digit; the private row has a prose id. */
  id: string;
  basicProfile: string;
  stdCompIOD: string;
  rtnSafePrivOpt?: string;
  rtnUIDsOpt?: string;
  rtnDevIdOpt?: string;
  rtnInstIdOpt?: string;
  rtnPatCharsOpt?: string;
  rtnLongFullDatesOpt?: string;
  rtnLongModifDatesOpt?: string;
  cleanDescOpt?: string;
  cleanStructContOpt?: string;
  cleanGraphOpt?: string;
}

/**
 * What happens to one attribute (E.1.1, Table E.1-1a), once the options and the compound
 * actions are resolved:
 * - `remove` (X), `empty` (Z: present, zero length), `dummy` (D), `keep` (K),
 * - `clean` (C: a value of similar meaning without identity, see actions.ts),
 * - `uid` (U: the mapped UID; on a sequence, its items with their UIDs mapped).
 */
export type ProfileAction = 'remove' | 'empty' | 'dummy' | 'keep' | 'clean' | 'uid';

/**
 * The compound actions leave the choice to the IOD's Type (1: a value, 2: present, 3: optional).
 * Without IOD tables we take the alternative that is valid whatever the Type, since none of
 * them carries identity (a dummy is made up, an empty value says nothing):
 * - X/Z -> Z: an empty value is valid for Type 2 and 3, a removal would break Type 2.
 * - X/D, Z/D, X/Z/D -> D: only a dummy satisfies Type 1 (e.g. Device Serial Number in the
 *   Enhanced General Equipment Module, Acquisition DateTime in enhanced multi-frame images).
 * - X/Z/U* -> U: the referenced instances' UIDs mapped like the instances' own, so references
 *   between de-identified instances still resolve (the reason U* exists).
 */
const BASIC_ACTIONS: Readonly<Record<string, ProfileAction>> = {
  X: 'remove',
  Z: 'empty',
  D: 'dummy',
  K: 'keep',
  C: 'clean',
  U: 'uid',
  'X/Z': 'empty',
  'X/D': 'dummy',
  'Z/D': 'dummy',
  'X/Z/D': 'dummy',
  'X/Z/U*': 'uid',
};

const OPTION_ACTIONS: Readonly<Record<string, ProfileAction>> = { K: 'keep', C: 'clean' };

const TABLE_URL = new URL('./confidentiality-profile.json', import.meta.url);
const EXACT = /^[0-9a-f]{8}$/;
const PATTERN = /^[0-9a-fx]{8}$/;
const PRIVATE_ROW_ID = 'ggggeeee-where-gggg-is-odd';

/** The table's rows, read once; a row this code cannot act on stops the start-up. */
export const PROFILE_ROWS: readonly ProfileRow[] = loadRows();

function loadRows(): ProfileRow[] {
  const rows = JSON.parse(readFileSync(TABLE_URL, 'utf8')) as ProfileRow[];
  if (!Array.isArray(rows) || rows.length === 0) throw new Error('confidentiality-profile.json holds no rows');
  for (const row of rows) {
    if (!(row.id === PRIVATE_ROW_ID || PATTERN.test(row.id))) throw new Error(`Table E.1-1 row ${row.tag} (${row.name}): unknown tag form "${row.id}"`);
    if (!(row.basicProfile in BASIC_ACTIONS)) throw new Error(`Table E.1-1 row ${row.tag} (${row.name}): unknown action "${row.basicProfile}"`);
    for (const { column } of OPTION_COLUMNS) {
      const value = row[column];
      if (value !== undefined && !(value in OPTION_ACTIONS)) throw new Error(`Table E.1-1 row ${row.tag} (${row.name}): unknown ${column} action "${value}"`);
    }
  }
  if (!rows.some((row) => row.id === PRIVATE_ROW_ID)) throw new Error('Table E.1-1 has no row for private attributes');
  return rows;
}

/**
 * A row's action under the options chosen. When several chosen options name the attribute,
 * retaining wins over cleaning, and either over the basic action: each option promises to
 * keep what it names (E.3: an option "retains" or "cleans" in place of the basic action).
 */
export function rowAction(row: ProfileRow, options: DicomAnonymizeOptions): ProfileAction {
  let chosen: ProfileAction | undefined;
  for (const { option, column } of OPTION_COLUMNS) {
    const value = options[option] ? row[column as OptionColumn] : undefined;
    if (value === 'K') return 'keep';
    if (value === 'C') chosen = 'clean';
  }
  return chosen ?? (BASIC_ACTIONS[row.basicProfile] as ProfileAction);
}

/** Looks up the action for a tag (8 upper- or lower-case hex digits) under fixed options. */
export interface ConfidentialityProfile {
  /** The action of the row naming this tag; undefined for a tag the table does not list (kept). */
  actionFor(tag: string): ProfileAction | undefined;
  /** The private attributes' row action: `remove`, or `clean` when safe private tags are given. */
  readonly privateAction: ProfileAction;
}

/** The table compiled for one choice of options: exact tags in a map, `xx` ranges as patterns. */
export function confidentialityProfile(options: DicomAnonymizeOptions): ConfidentialityProfile {
  const exact = new Map<string, ProfileAction>();
  const ranges: { pattern: RegExp; action: ProfileAction }[] = [];
  let privateAction: ProfileAction = 'remove';
  for (const row of PROFILE_ROWS) {
    if (row.id === PRIVATE_ROW_ID) {
      privateAction = options.safePrivate.length > 0 && row.rtnSafePrivOpt === 'C' ? 'clean' : (BASIC_ACTIONS[row.basicProfile] as ProfileAction);
    } else if (EXACT.test(row.id)) {
      exact.set(row.id.toUpperCase(), rowAction(row, options));
    } else {
      ranges.push({ pattern: new RegExp(`^${row.id.toUpperCase().replace(/X/g, '[0-9A-F]')}$`), action: rowAction(row, options) });
    }
  }
  return {
    privateAction,
    actionFor(tag: string): ProfileAction | undefined {
      const upper = tag.toUpperCase();
      return exact.get(upper) ?? ranges.find((range) => range.pattern.test(upper))?.action;
    },
  };
}
