/**
 * Media types and Accept headers, as DICOMweb uses them:
 * `multipart/related; type="application/dicom"; boundary=xyz` in a STOW-RS Content-Type,
 * `multipart/related; type="application/dicom"; transfer-syntax=*, application/dicom+json;q=0.5`
 * in a WADO-RS or QIDO-RS Accept.
 *
 * Lenient where clients are sloppy, each on purpose: spaces around `;` and `=`, unquoted values
 * that are not tokens (`type=application/dicom`, which PS3.18 examples and several clients send),
 * a bare `*` for `*` + `/*` (old Java clients), a q-value without its leading zero (`q=.5`).
 * Case is folded only where the grammar says it does not matter: the type and parameter names;
 * values keep their case (a boundary is case-sensitive).
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-8.3.1 (media type syntax)
 * @see https://www.rfc-editor.org/rfc/rfc7231#section-5.3.2 (Accept, q-values)
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_8.7 (PS3.18 8.7 content negotiation)
 */

/** A parsed media type: `type/subtype` lowercased, parameter names lowercased, values unquoted. */
export interface MediaType {
  /** E.g. `multipart/related`. */
  type: string;
  /** Parameters in the order they came; for a repeated name the first one wins. */
  params: Map<string, string>;
}

/** One element of an Accept header. */
export interface MediaRange extends MediaType {
  /** `type/subtype`, `type/*` or `*` + `/*`. */
  type: string;
  /** Every parameter except `q` (also those after `q`, which RFC 7231 calls accept-ext: DICOMweb clients put `transfer-syntax` anywhere). */
  params: Map<string, string>;
  /** The weight, 0 to 1; 0 means "not acceptable", so a negotiator must skip such a range rather than pick it. */
  q: number;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const TYPE = /^([!#$%&'*+\-.^_`|~0-9a-z]+)\/([!#$%&'*+\-.^_`|~0-9a-z]+)$/;
const QVALUE = /^(?:\d+(?:\.\d*)?|\.\d+)$/;

/** One `type/subtype; name=value ...` element, and where scanning stopped (at a `,` or the end). */
interface Element {
  type: string;
  params: Array<[string, string]>;
  next: number;
}

/**
 * Scans one element from `start`. With `list`, a `,` outside quotes ends the element (Accept);
 * without, commas are ordinary characters (Content-Type is a single value).
 */
function scanElement(text: string, start: number, list: boolean): Element {
  const n = text.length;
  const isEnd = (i: number): boolean => i >= n || text[i] === ';' || (list && text[i] === ',');
  let i = start;
  while (!isEnd(i)) i++;
  const type = text.slice(start, i).trim().toLowerCase();
  const params: Array<[string, string]> = [];
  while (i < n && text[i] === ';') {
    i++;
    const nameStart = i;
    while (!isEnd(i) && text[i] !== '=') i++;
    const name = text.slice(nameStart, i).trim().toLowerCase();
    // A parameter without `=` (`; boundary`) carries nothing: skipped.
    if (text[i] !== '=') continue;
    i++;
    while (text[i] === ' ' || text[i] === '\t') i++;
    let value: string;
    if (text[i] === '"') {
      // quoted-string: a backslash takes the next character literally; an unterminated quote runs to the end.
      i++;
      let unquoted = '';
      while (i < n && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < n) i++;
        unquoted += text[i];
        i++;
      }
      value = unquoted;
      i++;
      // Anything between the closing quote and the next separator is not part of the value.
      while (!isEnd(i)) i++;
    } else {
      const valueStart = i;
      while (!isEnd(i)) i++;
      value = text.slice(valueStart, i).trim();
    }
    if (name !== '') params.push([name, value]);
  }
  return { type, params, next: i };
}

function toMap(params: Array<[string, string]>): Map<string, string> {
  const map = new Map<string, string>();
  for (const [name, value] of params) if (!map.has(name)) map.set(name, value);
  return map;
}

/**
 * Parses a Content-Type (or any single media type).
 * @returns undefined when there is no valid `type/subtype` (the caller answers 415); bad parameters are skipped.
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-8.3.1
 */
export function parseMediaType(value: string): MediaType | undefined {
  const { type, params } = scanElement(value, 0, false);
  if (!TYPE.test(type)) return undefined;
  return { type, params: toMap(params) };
}

/**
 * Parses an Accept header into its media ranges, highest q first, ties in the order written
 * (the client's own preference order, PS3.18 8.7.5). Elements that cannot be read (no
 * `type/subtype`, a q that is not a number from 0 to 1) are skipped, not fatal.
 * An empty header gives an empty list; an absent header means `*` + `/*`, which is the caller's call.
 * @see https://www.rfc-editor.org/rfc/rfc7231#section-5.3.2
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_8.7.5
 */
export function parseAccept(value: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  let i = 0;
  while (i < value.length) {
    const element = scanElement(value, i, true);
    i = element.next + 1;
    const type = element.type === '*' ? '*/*' : element.type;
    if (!TYPE.test(type)) continue;
    let q = 1;
    let valid = true;
    const params: Array<[string, string]> = [];
    for (const [name, paramValue] of element.params) {
      if (name !== 'q') params.push([name, paramValue]);
      else if (QVALUE.test(paramValue) && Number(paramValue) <= 1) q = Number(paramValue);
      else valid = false;
    }
    if (valid) ranges.push({ type, params: toMap(params), q });
  }
  // Array.prototype.sort is stable, so equal weights keep the client's order.
  return ranges.sort((a, b) => b.q - a.q);
}

/**
 * Writes a media type with its parameters, quoting values that are not tokens
 * (`type="application/dicom"`, `transfer-syntax=1.2.840.10008.1.2.1`).
 * @throws TypeError for a malformed type, parameter name, or a value with a control character (header injection).
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-5.6.4 (quoted-string)
 */
export function formatMediaType(type: string, params: Iterable<[string, string]> | Record<string, string> = []): string {
  if (!TYPE.test(type.toLowerCase())) throw new TypeError(`not a media type: ${JSON.stringify(type)}`);
  const entries = Symbol.iterator in params ? params : Object.entries(params);
  let text = type;
  for (const [name, value] of entries) {
    if (!TOKEN.test(name)) throw new TypeError(`not a parameter name: ${JSON.stringify(name)}`);
    if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(value)) throw new TypeError(`parameter ${name} has a control character`);
    text += `; ${name}=${TOKEN.test(value) ? value : `"${value.replace(/["\\]/g, '\\$&')}"`}`;
  }
  return text;
}
