/**
 * Which attributes belong to the study and series levels of the information model, so the index
 * keeps them with the study and the series and QIDO-RS answers them at those levels; every
 * other attribute is the instance's. Patient module attributes (group 0010) count as study level
 * (the Study Root model of PS3.4 C.6.2).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part04.html#sect_C.6.2.1
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#table_10.6.3-3
 */

/** Study level: Patient (besides group 0010) and General Study / Patient Study modules. */
export const STUDY_TAGS: ReadonlySet<string> = new Set([
  '00080005', // SpecificCharacterSet (kept with every level so text decodes the same)
  '00080020', // StudyDate
  '00080030', // StudyTime
  '00080050', // AccessionNumber
  '00080051', // IssuerOfAccessionNumberSequence
  '00080056', // InstanceAvailability
  '00080090', // ReferringPhysicianName
  '00080096', // ReferringPhysicianIdentificationSequence
  '00080201', // TimezoneOffsetFromUTC
  '00081030', // StudyDescription
  '00081032', // ProcedureCodeSequence
  '00081048', // PhysiciansOfRecord
  '00081060', // NameOfPhysiciansReadingStudy
  '00081080', // AdmittingDiagnosesDescription
  '0020000D', // StudyInstanceUID
  '00200010', // StudyID
  '00321032', // RequestingPhysician
  '00321060', // RequestedProcedureDescription
  '00321064', // RequestedProcedureCodeSequence
  '00380010', // AdmissionID
]);

/** Series level: General Series, General Equipment and Frame of Reference modules. */
export const SERIES_TAGS: ReadonlySet<string> = new Set([
  '00080005', // SpecificCharacterSet
  '00080021', // SeriesDate
  '00080031', // SeriesTime
  '00080060', // Modality
  '00080070', // Manufacturer
  '00080080', // InstitutionName
  '00080081', // InstitutionAddress
  '00081010', // StationName
  '0008103E', // SeriesDescription
  '00081040', // InstitutionalDepartmentName
  '00081050', // PerformingPhysicianName
  '00081070', // OperatorsName
  '00081090', // ManufacturerModelName
  '00081111', // ReferencedPerformedProcedureStepSequence
  '00180015', // BodyPartExamined
  '00181030', // ProtocolName
  '00185100', // PatientPosition
  '0020000E', // SeriesInstanceUID
  '00200011', // SeriesNumber
  '00200052', // FrameOfReferenceUID
  '00200060', // Laterality
  '00400244', // PerformedProcedureStepStartDate
  '00400245', // PerformedProcedureStepStartTime
  '00400253', // PerformedProcedureStepID
  '00400254', // PerformedProcedureStepDescription
  '00400275', // RequestAttributesSequence
]);

export type Level = 'study' | 'series' | 'instance';

/** The level an attribute is kept at in the index. */
export function levelOf(tag: string): Level {
  if (tag.startsWith('0010') || STUDY_TAGS.has(tag)) return 'study';
  if (SERIES_TAGS.has(tag)) return 'series';
  return 'instance';
}
