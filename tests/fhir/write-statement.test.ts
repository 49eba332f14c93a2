import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { emptyIndexRows } from '../../fhir/search/index-rows.ts';
import { indexMask, writeStatement, type VersionWrite } from '../../fhir/write-statement.ts';

const version = (id: string, extra: Partial<VersionWrite> = {}): VersionWrite => ({
  resourceType: 'Patient', id, versionId: 1, lastUpdated: '2026-11-22T10:00:00.000Z', method: 'POST', interaction: 'create',
  content: { resourceType: 'Patient', id }, index: emptyIndexRows(), previousIndexMask: 0, ...extra,
});

describe('the write statement', () => {
  it('names only the index tables the write touches', () => {
    const index = { ...emptyIndexRows(), token: [{ param: 'gender', code: 'female' }], date: [{ param: 'birthdate', low: 'a', high: 'b' }] };
    const { sql, name } = writeStatement([version('a', { index })]);
    assert.match(sql, /INSERT INTO fhir_token/);
    assert.match(sql, /INSERT INTO fhir_date/);
    assert.doesNotMatch(sql, /fhir_string|fhir_quantity|DELETE/);
    assert.equal(name, `passerelle_version_${indexMask(index)}_0`);
  });

  it('deletes old rows from the tables the replaced version used', () => {
    const { sql } = writeStatement([version('a', { versionId: 2, method: 'PUT', previousIndexMask: indexMask({ ...emptyIndexRows(), string: [{ param: 'name', normalized: 'x', value: 'x' }] }) })]);
    assert.match(sql, /DELETE FROM fhir_string/);
    assert.doesNotMatch(sql, /DELETE FROM fhir_token/);
  });

  it('lines up parameters: one array per column, rows of every version in order', () => {
    const a = version('a', { index: { ...emptyIndexRows(), token: [{ param: 'gender', code: 'female' }] } });
    const b = version('b', { index: { ...emptyIndexRows(), token: [{ param: 'gender', system: 's', code: 'male' }, { param: 'active', code: 'true' }] } });
    const deletion = version('c', { content: undefined, method: 'DELETE', interaction: 'delete', versionId: 4 });
    const { sql, params } = writeStatement([a, b, deletion]);
    const placeholders = new Set(sql.match(/\$\d+/g));
    assert.equal(placeholders.size, params.length, 'every parameter is used');
    assert.deepEqual(params[1], ['a', 'b', 'c']);
    assert.deepEqual(params[5], [JSON.stringify(a.content), JSON.stringify(b.content), null]);
    assert.deepEqual(params[7], ['create', 'create', 'delete']);
    assert.deepEqual(params.slice(8, 13), [['Patient', 'Patient', 'Patient'], ['a', 'b', 'b'], ['gender', 'gender', 'active'], [null, 's', null], ['female', 'male', 'true']]);
  });
});
