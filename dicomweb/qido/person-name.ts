/**
 * Person names folded for matching. PS3.4 C.2.2.2.1.1 lets literal PN matching ignore "some or all
 * aspects of case, position, accent, or other character encoding variants"; Passerelle ignores
 * case and accents, so `buc^jerome` finds `Buc^Jérôme`. The index keeps the folded name next to
 * the stored one (`*_name_norm` columns) and queries are folded the same way.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part04.html#sect_C.2.2.2.1.1
 */

const COMBINING_MARKS = /\p{M}/gu;

/**
 * Upper case, accents removed (NFD, then combining marks dropped), components trimmed, trailing
 * empty components and groups dropped (`Smith^John^^^` is `SMITH^JOHN`); the `^` and `=`
 * separators are kept. The wildcards `*` and `?` pass through unchanged, so a query pattern
 * folds like a stored name. The index folds a PN's Alphabetic group (what `patient_name` holds).
 */
export function foldPersonName(value: string): string {
  const folded = value.normalize('NFD').replace(COMBINING_MARKS, '').toUpperCase();
  const groups = folded.split('=').map((group) => trimTrailingEmpty(group.split('^').map((component) => component.trim())).join('^'));
  return trimTrailingEmpty(groups).join('=');
}

function trimTrailingEmpty(parts: string[]): string[] {
  let end = parts.length;
  while (end > 0 && parts[end - 1] === '') end--;
  return parts.slice(0, end);
}

/**
 * The words of a name for fuzzy matching: folded, split on component separators, spaces and
 * commas (`Buc, Jérôme` and `BUC^JEROME` give the same words), empty ones dropped.
 */
export function personNameWords(value: string): string[] {
  return foldPersonName(value)
    .split(/[\^=\s,]+/u)
    .filter((word) => word !== '');
}
