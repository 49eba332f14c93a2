/**
 * `Organization/{id}/$bed-capacity`: a hospital's beds per specialty, as a SANER-style summary
 * MeasureReport (one group per specialty, populations total / occupied / available and the other
 * v2-0116 states), read from its wards' bed-availability Observations, for public-health reporting.
 * @see https://hl7.org/fhir/R4/measurereport.html
 */
import type { MeasureReport, MeasureReportGroup, Observation, Organization } from '@medplum/fhirtypes';
import type { Operation } from '../../fhir/index.ts';
import { AVAILABILITY_COMPONENTS, BED_AVAILABILITY_CODE, PASSERELLE_SYSTEM } from '../model.ts';
import { countOf, specialtiesOf } from './availability.ts';
import { searchAll } from './search-all.ts';

export const BED_CAPACITY_MEASURE = 'https://passerelle.health/fhir/Measure/bed-capacity';

export const bedCapacityOperation: Operation = {
  definition: {
    resourceType: 'OperationDefinition',
    id: 'Organization-bed-capacity',
    url: 'https://passerelle.health/fhir/OperationDefinition/Organization-bed-capacity',
    name: 'BedCapacity',
    title: 'A hospital\'s beds per specialty as a summary MeasureReport',
    status: 'active',
    kind: 'operation',
    code: 'bed-capacity',
    description: `A summary MeasureReport (measure ${BED_CAPACITY_MEASURE}) for the hospital: one group per ward specialty (code in ${PASSERELLE_SYSTEM.specialty}) and one for all beds, each with a population per count of ${PASSERELLE_SYSTEM.bedAvailability} (total, occupied, available, contaminated, isolated, housekeeping, closed, unknown).`,
    affectsState: false,
    resource: ['Organization'],
    system: false,
    type: false,
    instance: true,
    parameter: [{ name: 'return', use: 'out', min: 1, max: '1', type: 'MeasureReport' }],
  },
  async handle({ repo, id }) {
    const hospital = (await repo.read('Organization', id as string)) as Organization; // 404/410 for unknown or deleted
    const observations = (await searchAll(repo, 'Observation', {
      code: `${BED_AVAILABILITY_CODE.system}|${BED_AVAILABILITY_CODE.code}`,
      performer: `Organization/${hospital.id}`,
    })) as Observation[];
    const groups = new Map<string, { code: MeasureReportGroup['code']; wards: Observation[] }>();
    groups.set('*', { code: { coding: [{ system: PASSERELLE_SYSTEM.bedAvailability, code: 'total', display: 'All beds' }] }, wards: observations });
    for (const observation of observations) {
      for (const specialty of specialtiesOf(observation)) {
        const key = specialty.code as string;
        if (!groups.has(key)) groups.set(key, { code: { coding: [specialty] }, wards: [] });
        groups.get(key)?.wards.push(observation);
      }
    }
    const now = new Date().toISOString();
    const report: MeasureReport = {
      resourceType: 'MeasureReport',
      status: 'complete',
      type: 'summary',
      measure: BED_CAPACITY_MEASURE,
      date: now,
      period: { start: now, end: now },
      reporter: { reference: `Organization/${hospital.id}`, display: hospital.name },
      group: [...groups.values()].map(({ code, wards }) => ({
        code,
        population: AVAILABILITY_COMPONENTS.map((c) => ({
          code: { coding: [{ system: PASSERELLE_SYSTEM.bedAvailability, code: c.code, display: c.display }] },
          count: wards.reduce((n, o) => n + countOf(o, c.code), 0),
        })),
      })),
    };
    return { status: 200, body: report };
  },
};
