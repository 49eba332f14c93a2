/**
 * Runs a parsed QIDO-RS search: one SQL statement, then one DICOM JSON dataset per match.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.6
 */
import type { Queryable } from '../../fhir/index.ts';
import type { DicomJson } from '../dicom-json.ts';
import type { QidoRequest } from './request.ts';
import { toDataset } from './response.ts';
import { returnPlan } from './returns.ts';
import { searchStatement, type SearchRow } from './sql.ts';

export interface SearchResult {
  /** The page of matches, in the stable order of the level. */
  datasets: DicomJson[];
  /**
   * Matches after this page (0 when none). When above 0 the answer carries
   * `Warning: 299 <service>: There are <remaining> additional results that can be requested`
   * (PS3.18 8.3.4.4.1).
   */
  remaining: number;
  /** Further Warning header texts (`299 <service>: <text>`) from the request, e.g. unsupported parameters. */
  warnings: string[];
}

/** Searches the DICOM index; `baseUrl` is the absolute DICOMweb base the Retrieve URLs start with. */
export async function searchDicom(db: Queryable, request: QidoRequest, baseUrl: string): Promise<SearchResult> {
  const plan = returnPlan(request);
  const statement = searchStatement(request, plan);
  const rows = await db.query<SearchRow>(statement.text, statement.params);
  const page = rows.slice(0, request.limit);
  const total = rows[0]?.total ?? null;
  const remaining = total === null ? 0 : Math.max(0, total - request.offset - page.length);
  return { datasets: page.map((row) => toDataset(row, request, plan, baseUrl)), remaining, warnings: [...request.warnings] };
}

/**
 * The Warning header values of an answer (RFC 7234 5.5 as PS3.18 uses it): one for matches left
 * after this page (8.3.4.4.1) and one per unsupported parameter. `service` is the DICOMweb base URI.
 */
export function searchWarnings(result: SearchResult, service: string): string[] {
  const texts = [...result.warnings];
  if (result.remaining > 0) texts.unshift(`There are ${result.remaining} additional results that can be requested`);
  return texts.map((text) => `299 ${service}: ${text}`);
}
