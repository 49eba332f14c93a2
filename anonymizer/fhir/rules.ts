/**
 * The FHIR de-identification rule model: a FHIRPath that selects nodes and the method applied to
 * them, in the spirit of Microsoft's FHIR Tools for Anonymization (`fhirPathRules`). Rules apply
 * in order and the first rule that selects a node or one of its ancestors decides for it, so a
 * `keep` written before a broader `redact` carves an exception out of it. Nodes no rule selects
 * are kept: a profile lists what it removes, and ends with the broad rules.
 *
 * Paths are FHIRPath evaluated on the resource (`Patient.name`, `Resource.text` for any type), or
 * `nodesByType('HumanName')` optionally followed by more FHIRPath (`nodesByType('Extension').where(...)`).
 * A path must select elements of the resource, not computed values.
 * @see https://github.com/microsoft/Tools-for-Health-Data-Anonymization/blob/master/docs/FHIR-anonymization.md
 */
import { parseFhirPath } from '@medplum/core';

export type RuleMethod = 'keep' | 'redact' | 'cryptoHash' | 'dateShift' | 'generalize' | 'substitute';

export interface RuleParams {
  /** generalize: `year` (a date to its year), `prefix` (a string to its first `length` characters, 3 by default: a postal code's area), `age` (an Age or number over `over`, 89 by default, to `over + 1` and `>=`). */
  to?: 'year' | 'prefix' | 'age';
  length?: number;
  over?: number;
  /** cryptoHash: `uid` replaces a DICOM UID (bare or `urn:oid:`) the way the DICOM anonymiser does, so an ImagingStudy still names the anonymised instances. */
  as?: 'hex' | 'uid';
  /** substitute: the fixed replacement (any JSON value of the element's type). */
  value?: unknown;
}

export interface Rule {
  path: string;
  method: RuleMethod;
  params?: RuleParams;
  /** Why the rule exists (profiles are read by people deciding on a data release). */
  comment?: string;
}

export interface Profile {
  name: string;
  description?: string;
  rules: Rule[];
}

const METHODS: ReadonlySet<string> = new Set(['keep', 'redact', 'cryptoHash', 'dateShift', 'generalize', 'substitute']);
const NODES_BY_TYPE = /^nodesByType\('([A-Za-z][A-Za-z0-9]*)'\)(.*)$/s;

/** A rule's path split into the node type it starts from (for `nodesByType`) and the FHIRPath after it. */
export interface RulePath {
  nodeType?: string;
  expression: string;
}

export function parseRulePath(path: string): RulePath {
  const match = NODES_BY_TYPE.exec(path.trim());
  if (!match) return { expression: path.trim() };
  const rest = (match[2] ?? '').trim();
  return { nodeType: match[1], expression: rest.startsWith('.') ? rest.slice(1) : rest };
}

export class InvalidRuleError extends Error {}

/** Checks a profile once, when it is loaded, so a typo fails the export before any data moves. */
export function checkProfile(profile: Profile): Profile {
  if (!Array.isArray(profile.rules)) throw new InvalidRuleError(`profile "${profile.name}" has no rules array`);
  profile.rules.forEach((rule, index) => checkRule(rule, `profile "${profile.name}" rule ${index + 1} (${rule.path})`));
  return profile;
}

function checkRule(rule: Rule, where: string): void {
  if (typeof rule.path !== 'string' || rule.path.trim() === '') throw new InvalidRuleError(`${where}: path is required`);
  if (!METHODS.has(rule.method)) throw new InvalidRuleError(`${where}: unknown method "${rule.method}"`);
  const { expression } = parseRulePath(rule.path);
  if (expression !== '') {
    try {
      parseFhirPath(expression);
    } catch (err) {
      throw new InvalidRuleError(`${where}: invalid FHIRPath: ${(err as Error).message}`);
    }
  }
  const params = rule.params ?? {};
  if (rule.method === 'generalize' && !['year', 'prefix', 'age'].includes(params.to as string)) {
    throw new InvalidRuleError(`${where}: generalize needs params.to = year, prefix or age`);
  }
  if (params.length !== undefined && (!Number.isInteger(params.length) || params.length < 0)) throw new InvalidRuleError(`${where}: params.length must be a whole number`);
  if (rule.method === 'substitute' && params.value === undefined) throw new InvalidRuleError(`${where}: substitute needs params.value`);
  if (rule.method === 'cryptoHash' && params.as !== undefined && params.as !== 'hex' && params.as !== 'uid') throw new InvalidRuleError(`${where}: params.as must be hex or uid`);
}
