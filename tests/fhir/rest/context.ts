/** What the shared REST cases get: an HTTP client on a fresh app and its database. */
import type { Server } from 'node:http';
import { after, before } from 'node:test';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import supertest from 'supertest';
import type { StructureDefinition } from '@medplum/fhirtypes';
import type { Database } from '../../../fhir/index.ts';
import type { TestDriver } from '../../support/database.ts';
import { FHIR_JSON, testApp } from '../../support/app.ts';

export interface RestContext {
  db: Database;
  http: () => supertest.Agent;
  /** POSTs a resource and returns the stored one. */
  create<T extends { resourceType: string }>(resource: T): Promise<T & { id: string; meta: { versionId: string } }>;
}

export const TEST_PROFILE: StructureDefinition = JSON.parse(
  readFileSync(new URL('../../fixtures/profile-patient-with-birthdate.json', import.meta.url), 'utf8'),
);
export const MAX_BODY_BYTES = 64 * 1024;

/** Registers before/after hooks in the current suite and returns the context they fill. */
export function useRestContext(driver: TestDriver): RestContext {
  let server: Server;
  let agent: supertest.Agent;
  const ctx = {
    http: () => agent,
    async create(resource) {
      const res = await agent.post(`/fhir/${resource.resourceType}`).set('Content-Type', FHIR_JSON).send(resource);
      if (res.status !== 201) throw new Error(`create ${resource.resourceType}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
  } as RestContext;
  before(async () => {
    ctx.db = await driver.open();
    server = testApp(ctx.db, { profiles: [TEST_PROFILE], maxBodyBytes: MAX_BODY_BYTES }).listen(0, '127.0.0.1');
    // Listening before supertest sees it, or supertest opens a new port per request (and base URLs change).
    await once(server, 'listening');
    agent = supertest.agent(server);
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await ctx.db.close();
  });
  return ctx;
}

export const patient = (extra: Record<string, unknown> = {}): { resourceType: 'Patient' } & Record<string, unknown> => ({
  resourceType: 'Patient',
  name: [{ family: 'Lefèvre', given: ['Hélène'] }],
  gender: 'female',
  birthDate: '1961-04-12',
  ...extra,
});

export { FHIR_JSON };
