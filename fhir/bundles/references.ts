/**
 * Reference rewriting inside a transaction: `urn:uuid:` (and other) full URLs of the Bundle's
 * entries become the `Type/id` the server assigned, in every Reference.reference and in the
 * narrative's links.
 * @see https://hl7.org/fhir/R4/http.html#trules
 */

/** True for a conditional reference such as `Patient?identifier=http://x|123`. */
export function isConditionalReference(reference: string): boolean {
  return /^[A-Z][A-Za-z]+\?/.test(reference);
}

/**
 * Returns a copy of `resource` whose references are mapped by `resolve`
 * (which returns undefined to leave a reference as it is).
 */
export function rewriteReferences<T>(resource: T, resolve: (reference: string) => string | undefined): T {
  return rewrite(resource, resolve) as T;
}

function rewrite(value: unknown, resolve: (reference: string) => string | undefined, key?: string): unknown {
  if (Array.isArray(value)) return value.map((item) => rewrite(item, resolve));
  if (value !== null && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) copy[k] = rewrite(v, resolve, k);
    return copy;
  }
  if (typeof value !== 'string') return value;
  if (key === 'reference') return resolve(value) ?? value;
  if (key === 'div') return rewriteNarrative(value, resolve);
  return value;
}

/** Narrative XHTML links (`href`, `src`) to entries of the Bundle. */
function rewriteNarrative(div: string, resolve: (reference: string) => string | undefined): string {
  return div.replace(/\b(href|src)="([^"]+)"/g, (whole, attribute: string, url: string) => {
    const target = resolve(url);
    return target ? `${attribute}="${target}"` : whole;
  });
}

/** Every distinct reference string in a resource (to find conditional references to resolve). */
export function collectReferences(resource: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(resource)) for (const item of resource) collectReferences(item, found);
  else if (resource !== null && typeof resource === 'object') {
    for (const [k, v] of Object.entries(resource)) {
      if (k === 'reference' && typeof v === 'string') found.add(v);
      else collectReferences(v, found);
    }
  }
  return found;
}
