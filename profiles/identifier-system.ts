/**
 * The FHIR identifier system of an assigning authority, whichever feed names it: HL7 v2 HD
 * (CX.4) and DICOM IssuerOfPatientID (0010,0021) with its qualifiers (0010,0024) carry the same
 * triple (namespace, universal id, universal id type), so a patient identified by the EHR and by
 * the PACS lands on the same Patient. ISO OIDs and URIs stand for themselves; local namespaces
 * get a system under Passerelle's base (kept stable: stored identifiers use it).
 * @see https://hl7.org/fhir/uv/v2mappings/datatype_maps.html (HD)
 */

const LOCAL_NAMESPACE_BASE = 'https://passerelle.health/fhir/NamingSystem/hl7v2';

export function assigningAuthoritySystem(namespace: string, universalId: string, universalIdType: string): string | undefined {
  const type = universalIdType.toUpperCase();
  if (universalId && (type === 'ISO' || /^[0-2](\.\d+)+$/.test(universalId))) return `urn:oid:${universalId}`;
  if (universalId && (type === 'URI' || type === 'URL' || /^(https?|urn):/.test(universalId))) return universalId;
  if (namespace) return `${LOCAL_NAMESPACE_BASE}/${encodeURIComponent(namespace)}`;
  if (universalId) return `${LOCAL_NAMESPACE_BASE}/${encodeURIComponent(universalId)}`;
  return undefined;
}

/**
 * The assigning authority of an identifier system, as HL7 v2 HD and DICOM IssuerOfPatientID
 * carry it: the inverse of assigningAuthoritySystem, so an identifier written out to DICOM comes
 * back to the same system when the study is read.
 */
export function assigningAuthorityOf(system: string): { namespace: string; universalId: string; universalIdType: string } {
  if (system.startsWith('urn:oid:')) return { namespace: '', universalId: system.slice('urn:oid:'.length), universalIdType: 'ISO' };
  if (system.startsWith(`${LOCAL_NAMESPACE_BASE}/`)) return { namespace: decodeURIComponent(system.slice(LOCAL_NAMESPACE_BASE.length + 1)), universalId: '', universalIdType: '' };
  return { namespace: '', universalId: system, universalIdType: 'URI' };
}
