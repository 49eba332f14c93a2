/** Search: every parameter type with its modifiers and prefixes, chains, _has, near, composites, results. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { RestContext } from './context.ts';

const TAG_SYSTEM = 'urn:passerelle:test';

export function searchCases(ctx: RestContext): void {
  /** A fresh tag, so a test's queries see only the resources it made. */
  const scope = (): { tag: string; meta: { tag: { system: string; code: string }[] }; q: string } => {
    const tag = randomUUID();
    return { tag, meta: { tag: [{ system: TAG_SYSTEM, code: tag }] }, q: `_tag=${TAG_SYSTEM}|${tag}` };
  };
  const search = async (path: string, headers: Record<string, string> = {}): Promise<any> => {
    const res = await ctx.http().get(`/fhir/${path}`).set(headers);
    assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const ids = async (path: string): Promise<string[]> => ((await search(path)).entry ?? []).filter((e: any) => e.search.mode === 'match').map((e: any) => e.resource.id).sort();
  const sorted = (...list: (string | undefined)[]): string[] => (list as string[]).sort();

  describe('search: string', () => {
    it('matches the start of words, ignoring case and accents; :exact and :contains', async () => {
      const s = scope();
      const a = await ctx.create({ resourceType: 'Patient', meta: s.meta, name: [{ family: 'Lefèvre', given: ['Hélène'] }] });
      const b = await ctx.create({ resourceType: 'Patient', meta: s.meta, name: [{ family: 'Lefebvre', given: ['Éric'] }] });
      assert.deepEqual(await ids(`Patient?${s.q}&family=lef`), sorted(a.id, b.id));
      assert.deepEqual(await ids(`Patient?${s.q}&family=LEFEVRE`), [a.id]);
      assert.deepEqual(await ids(`Patient?${s.q}&given=helene`), [a.id]);
      assert.deepEqual(await ids(`Patient?${s.q}&family:exact=Lefèvre`), [a.id]);
      assert.deepEqual(await ids(`Patient?${s.q}&family:exact=lefèvre`), []);
      assert.deepEqual(await ids(`Patient?${s.q}&family:contains=febv`), [b.id]);
      assert.deepEqual(await ids(`Patient?${s.q}&name=eric`), [b.id], 'name covers given names');
      assert.deepEqual(await ids(`Patient?${s.q}&family=lef&given=eric`), [b.id], 'AND across parameters');
      assert.deepEqual(await ids(`Patient?${s.q}&given=helene,eric`), sorted(a.id, b.id), 'OR with commas');
    });

    it('treats an escaped comma as part of the value', async () => {
      const s = scope();
      const a = await ctx.create({ resourceType: 'Organization', meta: s.meta, name: 'Centre Hospitalier, Site Nord' });
      assert.deepEqual(await ids(`Organization?${s.q}&name=${encodeURIComponent('Centre Hospitalier\\, Site')}`), [a.id]);
      assert.deepEqual(await ids(`Organization?${s.q}&name=${encodeURIComponent('Centre Hospitalier,Site')}`), [a.id], 'unescaped: two values ORed');
      assert.deepEqual(await ids(`Organization?${s.q}&name=${encodeURIComponent('Site Nord\\,x')}`), []);
    });
  });

  describe('search: token', () => {
    it('matches code, system|code, |code, system|, :not, :text, :of-type and :missing', async () => {
      const s = scope();
      const mrType = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }], text: 'Numéro de dossier' };
      const a = await ctx.create({ resourceType: 'Patient', meta: s.meta, gender: 'female', identifier: [{ system: 'urn:oid:1.2.250.1.71.4.2.7', value: 'IPP-1', type: mrType }] });
      const b = await ctx.create({ resourceType: 'Patient', meta: s.meta, gender: 'male', identifier: [{ value: 'IPP-2' }] });
      const c = await ctx.create({ resourceType: 'Patient', meta: s.meta });
      assert.deepEqual(await ids(`Patient?${s.q}&identifier=IPP-1`), [a.id]);
      assert.deepEqual(await ids(`Patient?${s.q}&identifier=urn:oid:1.2.250.1.71.4.2.7|IPP-1`), [a.id]);
      assert.deepEqual(await ids(`Patient?${s.q}&identifier=urn:oid:other|IPP-1`), []);
      assert.deepEqual(await ids(`Patient?${s.q}&identifier=|IPP-2`), [b.id], '|code: no system');
      assert.deepEqual(await ids(`Patient?${s.q}&identifier=|IPP-1`), []);
      assert.deepEqual(await ids(`Patient?${s.q}&identifier=urn:oid:1.2.250.1.71.4.2.7|`), [a.id], 'system|: any code');
      assert.deepEqual(await ids(`Patient?${s.q}&gender:not=male`), sorted(a.id, c.id), ':not includes resources without a value');
      assert.deepEqual(await ids(`Patient?${s.q}&identifier:text=numero`), [a.id]);
      assert.deepEqual(await ids(`Patient?${s.q}&identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|IPP-1`), [a.id]);
      assert.deepEqual(await ids(`Patient?${s.q}&gender:missing=true`), [c.id]);
      assert.deepEqual(await ids(`Patient?${s.q}&gender:missing=false`), sorted(a.id, b.id));
    });

    it('handles an escaped pipe in a code', async () => {
      const s = scope();
      const a = await ctx.create({ resourceType: 'Patient', meta: s.meta, identifier: [{ system: 'urn:x', value: 'a|b' }] });
      assert.deepEqual(await ids(`Patient?${s.q}&identifier=${encodeURIComponent('urn:x|a\\|b')}`), [a.id]);
    });
  });

  describe('search: reference', () => {
    it('matches Type/id, a bare id, an absolute URL to this server, and the :Type modifier', async () => {
      const s = scope();
      const p = await ctx.create({ resourceType: 'Patient', meta: s.meta });
      const g = await ctx.create({ resourceType: 'Group', meta: s.meta, type: 'person', actual: true });
      const o1 = await ctx.create({ resourceType: 'Observation', meta: s.meta, status: 'final', code: { text: 'x' }, subject: { reference: `Patient/${p.id}` } });
      const o2 = await ctx.create({ resourceType: 'Observation', meta: s.meta, status: 'final', code: { text: 'x' }, subject: { reference: `Group/${g.id}` } });
      assert.deepEqual(await ids(`Observation?${s.q}&subject=Patient/${p.id}`), [o1.id]);
      assert.deepEqual(await ids(`Observation?${s.q}&subject=${p.id}`), [o1.id]);
      assert.deepEqual(await ids(`Observation?${s.q}&subject:Group=${g.id}`), [o2.id]);
      assert.deepEqual(await ids(`Observation?${s.q}&subject:Group=${p.id}`), []);
      const self = (await search(`Observation?${s.q}&subject=Patient/${p.id}`)).link[0].url as string;
      const absolute = `${self.split('/fhir/')[0]}/fhir/Patient/${p.id}`;
      assert.deepEqual(await ids(`Observation?${s.q}&subject=${encodeURIComponent(absolute)}`), [o1.id]);
      assert.deepEqual(await ids(`Observation?${s.q}&patient=${p.id}`), [o1.id]);
    });

    it('follows chains of several levels, and reverse chains with _has', async () => {
      const s = scope();
      const org = await ctx.create({ resourceType: 'Organization', meta: s.meta, name: 'CHU de Bordeaux' });
      const p1 = await ctx.create({ resourceType: 'Patient', meta: s.meta, name: [{ family: 'Martin' }], managingOrganization: { reference: `Organization/${org.id}` } });
      const p2 = await ctx.create({ resourceType: 'Patient', meta: s.meta, name: [{ family: 'Durand' }] });
      const o1 = await ctx.create({ resourceType: 'Observation', meta: s.meta, status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] }, subject: { reference: `Patient/${p1.id}` } });
      await ctx.create({ resourceType: 'Observation', meta: s.meta, status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '1234-5' }] }, subject: { reference: `Patient/${p2.id}` } });
      assert.deepEqual(await ids(`Observation?${s.q}&subject:Patient.name=martin`), [o1.id]);
      assert.deepEqual(await ids(`Observation?${s.q}&subject.name=martin`), [o1.id], 'type inferred from the targets');
      assert.deepEqual(await ids(`Observation?${s.q}&subject:Patient.organization.name=${encodeURIComponent('CHU de')}`), [o1.id], 'two levels');
      assert.deepEqual(await ids(`Patient?${s.q}&_has:Observation:subject:code=http://loinc.org|8867-4`), [p1.id]);
      assert.deepEqual(await ids(`Organization?${s.q}&_has:Patient:organization:_has:Observation:subject:code=8867-4`), [org.id], 'nested _has');
      const res = await ctx.http().get(`/fhir/Observation?subject:Patient.shoe=1`);
      assert.equal(res.status, 400);
    });
  });

  describe('search: date', () => {
    it('compares ranges with every prefix, partial dates and Periods', async () => {
      const s = scope();
      const born = async (birthDate: string): Promise<string> => (await ctx.create({ resourceType: 'Patient', meta: s.meta, birthDate })).id;
      const y1980 = await born('1980');
      const m198003 = await born('1980-03');
      const d19800315 = await born('1980-03-15');
      const d19900101 = await born('1990-01-01');
      assert.deepEqual(await ids(`Patient?${s.q}&birthdate=1980`), sorted(y1980, m198003, d19800315), 'eq: within the year');
      assert.deepEqual(await ids(`Patient?${s.q}&birthdate=1980-03`), sorted(m198003, d19800315));
      assert.deepEqual(await ids(`Patient?${s.q}&birthdate=eq1980-03-15`), [d19800315]);
      assert.deepEqual(await ids(`Patient?${s.q}&birthdate=ne1980`), [d19900101]);
      assert.deepEqual(await ids(`Patient?${s.q}&birthdate=gt1980-06`), sorted(y1980, d19900101), 'the year 1980 extends past June');
      assert.deepEqual(await ids(`Patient?${s.q}&birthdate=lt1980-03-10`), sorted(y1980, m198003));
      assert.deepEqual(await ids(`Patient?${s.q}&birthdate=ge1990`), [d19900101]);
      assert.deepEqual(await ids(`Patient?${s.q}&birthdate=le1980-01`), [y1980]);
      assert.deepEqual(await ids(`Patient?${s.q}&birthdate=sa1980-12-31`), [d19900101]);
      assert.deepEqual(await ids(`Patient?${s.q}&birthdate=eb1980-03-15`), []);
      assert.deepEqual(await ids(`Patient?${s.q}&birthdate=ge1980-03-01&birthdate=lt1980-04`), sorted(y1980, m198003, d19800315), 'AND by repetition');
      assert.equal((await ctx.http().get(`/fhir/Patient?birthdate=1980-02-30`)).status, 400);
    });

    it('treats an open Period as reaching to infinity', async () => {
      const s = scope();
      const open = await ctx.create({ resourceType: 'Encounter', meta: s.meta, status: 'in-progress', class: { code: 'IMP' }, period: { start: '2026-11-01T08:00:00Z' } });
      const closed = await ctx.create({ resourceType: 'Encounter', meta: s.meta, status: 'finished', class: { code: 'IMP' }, period: { start: '2026-10-01T08:00:00Z', end: '2026-10-03T12:00:00Z' } });
      assert.deepEqual(await ids(`Encounter?${s.q}&date=gt2026-11-20`), [open.id]);
      assert.deepEqual(await ids(`Encounter?${s.q}&date=2026-10`), [closed.id]);
      assert.deepEqual(await ids(`Encounter?${s.q}&date=ap2026-10-02`), [closed.id]);
    });
  });

  describe('search: number, quantity, uri, composite', () => {
    it('compares numbers with their precision, and quantities with system and unit', async () => {
      const s = scope();
      const obs = async (value: number, code = 'mm[Hg]'): Promise<string> =>
        (await ctx.create({ resourceType: 'Observation', meta: s.meta, status: 'final', code: { text: 'bp' }, valueQuantity: { value, unit: code, system: 'http://unitsofmeasure.org', code } })).id;
      const a = await obs(120);
      const b = await obs(140.5);
      const c = await obs(98, '/min');
      assert.deepEqual(await ids(`Observation?${s.q}&value-quantity=120`), [a]);
      assert.deepEqual(await ids(`Observation?${s.q}&value-quantity=gt130`), [b]);
      assert.deepEqual(await ids(`Observation?${s.q}&value-quantity=le120|http://unitsofmeasure.org|mm[Hg]`), [a]);
      assert.deepEqual(await ids(`Observation?${s.q}&value-quantity=lt130||/min`), [c]);
      assert.deepEqual(await ids(`Observation?${s.q}&value-quantity=140`), [], '140 stands for [139.5, 140.5): 140.5 is outside');
      assert.deepEqual(await ids(`Observation?${s.q}&value-quantity=140.5`), [b]);
      const risk = await ctx.create({ resourceType: 'RiskAssessment', meta: s.meta, status: 'final', subject: { reference: 'Patient/x' }, prediction: [{ probabilityDecimal: 0.25 }] });
      assert.deepEqual(await ids(`RiskAssessment?${s.q}&probability=gt0.2`), [risk.id]);
      assert.deepEqual(await ids(`RiskAssessment?${s.q}&probability=0.3`), []);
    });

    it('matches uris exactly, :below and :above', async () => {
      const s = scope();
      const vs = await ctx.create({ resourceType: 'ValueSet', meta: s.meta, status: 'active', url: 'https://passerelle.health/fhir/ValueSet/specialty' });
      assert.deepEqual(await ids(`ValueSet?${s.q}&url=https://passerelle.health/fhir/ValueSet/specialty`), [vs.id]);
      assert.deepEqual(await ids(`ValueSet?${s.q}&url=https://passerelle.health/fhir/ValueSet`), []);
      assert.deepEqual(await ids(`ValueSet?${s.q}&url:below=https://passerelle.health/fhir/`), [vs.id]);
      assert.deepEqual(await ids(`ValueSet?${s.q}&url:above=https://passerelle.health/fhir/ValueSet/specialty/v2`), [vs.id]);
    });

    it('pairs composite components from the same element', async () => {
      const s = scope();
      const component = (code: string, value: number) => ({ code: { coding: [{ system: 'http://loinc.org', code }] }, valueQuantity: { value, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } });
      const high = await ctx.create({ resourceType: 'Observation', meta: s.meta, status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] }, component: [component('8480-6', 150), component('8462-4', 70)] });
      const normal = await ctx.create({ resourceType: 'Observation', meta: s.meta, status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] }, component: [component('8480-6', 118), component('8462-4', 95)] });
      assert.deepEqual(await ids(`Observation?${s.q}&component-code-value-quantity=http://loinc.org|8480-6$gt140`), [high.id]);
      assert.deepEqual(await ids(`Observation?${s.q}&component-code-value-quantity=8462-4$gt90`), [normal.id], 'the diastolic 95, not the systolic');
      const hr = await ctx.create({ resourceType: 'Observation', meta: s.meta, status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] }, valueQuantity: { value: 72, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' } });
      assert.deepEqual(await ids(`Observation?${s.q}&code-value-quantity=http://loinc.org|8867-4$72`), [hr.id]);
      assert.deepEqual(await ids(`Observation?${s.q}&code-value-quantity=http://loinc.org|8867-4$gt100`), []);
    });
  });

  describe('search: near', () => {
    it('finds Locations within the distance, nearest first, with the distance on each entry', async () => {
      const s = scope();
      const at = async (name: string, latitude: number, longitude: number): Promise<string> =>
        (await ctx.create({ resourceType: 'Location', meta: s.meta, name, position: { latitude, longitude } })).id;
      const pellegrin = await at('CHU Pellegrin', 44.8305, -0.6063);
      const haut = await at('Haut-Lévêque', 44.7926, -0.6087);
      const arcachon = await at('Arcachon', 44.6587, -1.1682);
      await at('Toulouse', 43.6047, 1.4442);
      const bundle = await search(`Location?${s.q}&near=44.8378|-0.5792|20|km`);
      const entries = bundle.entry.map((e: any) => [e.resource.id, e.search.extension[0].valueDistance.value]);
      assert.deepEqual(entries.map((e: any) => e[0]), [pellegrin, haut]);
      assert.ok(entries[0][1] > 2 && entries[0][1] < 3, `Pellegrin is about 2.3 km from the centre, not ${entries[0][1]}`);
      assert.equal(bundle.entry[0].search.extension[0].url, 'http://hl7.org/fhir/StructureDefinition/location-distance');
      assert.deepEqual((await ids(`Location?${s.q}&near=44.8378|-0.5792|40|mi`)).sort(), sorted(pellegrin, haut, arcachon), '40 miles reach Arcachon');
      assert.equal((await ctx.http().get(`/fhir/Location?near=91|0|1|km`)).status, 400);
    });
  });

  describe('search: parameters common to all resources', () => {
    it('matches _lastUpdated, _profile, _security and _source', async () => {
      const s = scope();
      const before = new Date(Date.now() - 1000).toISOString();
      const a = await ctx.create({
        resourceType: 'Patient',
        meta: { ...s.meta, profile: ['https://passerelle.test/StructureDefinition/any'], source: 'urn:passerelle:hl7-bridge', security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' }] },
      });
      const b = await ctx.create({ resourceType: 'Patient', meta: s.meta });
      assert.deepEqual(await ids(`Patient?${s.q}&_profile=https://passerelle.test/StructureDefinition/any`), [a.id]);
      assert.deepEqual(await ids(`Patient?${s.q}&_source=urn:passerelle:hl7-bridge`), [a.id]);
      assert.deepEqual(await ids(`Patient?${s.q}&_security=http://terminology.hl7.org/CodeSystem/v3-Confidentiality|R`), [a.id]);
      assert.deepEqual(await ids(`Patient?${s.q}&_lastUpdated=gt${before}`), sorted(a.id, b.id));
      assert.deepEqual(await ids(`Patient?${s.q}&_lastUpdated=lt${before}`), []);
      assert.deepEqual(await ids(`Patient?${s.q}&_id=${a.id},${b.id}`), sorted(a.id, b.id));
    });
  });

  describe('search: results', () => {
    it('sorts by several keys, either way', async () => {
      const s = scope();
      const make = async (family: string, birthDate: string): Promise<string> => (await ctx.create({ resourceType: 'Patient', meta: s.meta, name: [{ family }], birthDate })).id;
      const a = await make('Bernard', '1990-01-01');
      const b = await make('Arnaud', '1980-01-01');
      const c = await make('Bernard', '1970-01-01');
      const order = async (sort: string): Promise<string[]> => (await search(`Patient?${s.q}&_sort=${sort}`)).entry.map((e: any) => e.resource.id);
      assert.deepEqual(await order('birthdate'), [c, b, a]);
      assert.deepEqual(await order('-birthdate'), [a, b, c]);
      assert.deepEqual(await order('family,-birthdate'), [b, a, c]);
      assert.deepEqual(await order('-family,birthdate'), [c, a, b]);
    });

    it('pages with next and previous links that stay right while resources are added', async () => {
      const s = scope();
      const created: string[] = [];
      for (let i = 0; i < 7; i++) created.push((await ctx.create({ resourceType: 'Basic', meta: s.meta, code: { text: `item-${i}` } })).id);
      const pathOf = (url: string): string => url.slice(url.indexOf('/fhir/') + 6);
      const first = await search(`Basic?${s.q}&_sort=_id&_count=3`);
      const page1 = first.entry.map((e: any) => e.resource.id);
      assert.deepEqual(page1, [...created].sort().slice(0, 3));
      // A new resource that sorts before everything must not shift the next page.
      await ctx.create({ resourceType: 'Basic', id: undefined, meta: s.meta, code: { text: 'late' } });
      const second = await search(pathOf(first.link.find((l: any) => l.relation === 'next').url));
      const page2 = second.entry.map((e: any) => e.resource.id);
      assert.equal(page2.length, 3);
      assert.ok(page2.every((id: string) => id > (page1[2] as string)), 'the next page continues after the last row seen');
      // `previous` is the page just before page 2 in the data as it is now (the late one included).
      const back = await search(pathOf(second.link.find((l: any) => l.relation === 'previous').url));
      const now = (await search(`Basic?${s.q}&_sort=_id&_count=100`)).entry.map((e: any) => e.resource.id);
      const start = now.indexOf(page2[0]);
      assert.deepEqual(back.entry.map((e: any) => e.resource.id), now.slice(start - 3, start));
      assert.equal((await ctx.http().get(`/fhir/Basic?${s.q}&_cursor=garbage`)).status, 400);
    });

    it('counts with _total and _summary=count, shapes with _elements and _summary', async () => {
      const s = scope();
      for (let i = 0; i < 3; i++) await ctx.create({ resourceType: 'Patient', meta: s.meta, gender: 'female', birthDate: '2000-01-01', text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">x</div>' } });
      const counted = await search(`Patient?${s.q}&_summary=count`);
      assert.equal(counted.total, 3);
      assert.equal(counted.entry, undefined);
      const totalled = await search(`Patient?${s.q}&_count=1&_total=accurate`);
      assert.equal(totalled.total, 3);
      assert.equal(totalled.entry.length, 1);
      const elements = (await search(`Patient?${s.q}&_elements=gender`)).entry[0].resource;
      assert.equal(elements.gender, 'female');
      assert.equal(elements.birthDate, undefined);
      assert.ok(elements.meta.tag.some((t: any) => t.code === 'SUBSETTED'));
      const summary = (await search(`Patient?${s.q}&_summary=true`)).entry[0].resource;
      assert.equal(summary.birthDate, '2000-01-01', 'birthDate is a summary element');
      assert.equal(summary.text, undefined);
      const data = (await search(`Patient?${s.q}&_summary=data`)).entry[0].resource;
      assert.equal(data.text, undefined);
      assert.equal(data.gender, 'female');
    });

    it('adds _include and _revinclude resources, with :iterate', async () => {
      const s = scope();
      const org = await ctx.create({ resourceType: 'Organization', meta: s.meta, name: 'CHU' });
      const p = await ctx.create({ resourceType: 'Patient', meta: s.meta, managingOrganization: { reference: `Organization/${org.id}` } });
      await ctx.create({ resourceType: 'Encounter', meta: s.meta, status: 'finished', class: { code: 'IMP' }, subject: { reference: `Patient/${p.id}` } });
      await ctx.create({ resourceType: 'Observation', meta: s.meta, status: 'final', code: { text: 'x' }, subject: { reference: `Patient/${p.id}` } });
      const modes = (bundle: any): string[] => bundle.entry.map((x: any) => `${x.search.mode}:${x.resource.resourceType}`).sort();
      assert.deepEqual(modes(await search(`Observation?${s.q}&_include=Observation:subject`)), ['include:Patient', 'match:Observation']);
      assert.deepEqual(modes(await search(`Observation?${s.q}&_include=Observation:subject&_include:iterate=Patient:organization`)), ['include:Organization', 'include:Patient', 'match:Observation']);
      assert.deepEqual(modes(await search(`Patient?${s.q}&_revinclude=Encounter:subject&_revinclude=Observation:subject`)), ['include:Encounter', 'include:Observation', 'match:Patient']);
      assert.equal((await ctx.http().get('/fhir/Observation?_include=Observation:status')).status, 400);
    });

    it('ignores unknown parameters unless Prefer: handling=strict, and says what it applied', async () => {
      const s = scope();
      await ctx.create({ resourceType: 'Patient', meta: s.meta, gender: 'male' });
      const lenient = await search(`Patient?${s.q}&gender=male&shoe-size=42`);
      assert.equal(lenient.entry.length, 1);
      assert.doesNotMatch(lenient.link[0].url, /shoe-size/);
      assert.match(lenient.link[0].url, /gender=male/);
      const strict = await ctx.http().get(`/fhir/Patient?${s.q}&shoe-size=42`).set('Prefer', 'handling=strict');
      assert.equal(strict.status, 400);
      assert.match(strict.body.issue[0].details.text, /shoe-size/);
      assert.equal((await ctx.http().get(`/fhir/Patient?gender:nonsense=male`)).status, 400, 'an unsupported modifier is an error');
    });

    it('searches across types with _type, and with POST _search', async () => {
      const s = scope();
      const p = await ctx.create({ resourceType: 'Patient', meta: s.meta });
      const pr = await ctx.create({ resourceType: 'Practitioner', meta: s.meta });
      await ctx.create({ resourceType: 'Device', meta: s.meta });
      const both = await search(`?_type=Patient,Practitioner&${s.q}`);
      assert.deepEqual(both.entry.map((e: any) => e.resource.id).sort(), sorted(p.id, pr.id));
      const posted = await ctx.http().post('/fhir/Patient/_search').type('form').send(`${s.q}`);
      assert.equal(posted.status, 200);
      assert.deepEqual(posted.body.entry.map((e: any) => e.resource.id), [p.id]);
      assert.equal((await ctx.http().get('/fhir?_type=Bogus')).status, 400);
    });
  });
}
