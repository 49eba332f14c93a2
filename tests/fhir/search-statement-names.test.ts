import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { searchStatementName } from '../../fhir/search/statement-names.ts';

describe('search statement names', () => {
  it('names a search text from its second use, the same name every time after', () => {
    const text = 'SELECT 1 FROM fhir_resource r WHERE r.id = $1 -- names test';
    assert.equal(searchStatementName(text), undefined);
    const name = searchStatementName(text);
    assert.match(name ?? '', /^passerelle_search_\d+$/);
    assert.equal(searchStatementName(text), name);
    assert.notEqual(searchStatementName('SELECT 2 -- other'), name);
  });

  it('stops naming new texts past its limit, and keeps the names it gave', () => {
    const kept = 'SELECT 1 -- kept';
    searchStatementName(kept);
    const name = searchStatementName(kept);
    const given = new Set<string>();
    for (let i = 0; i < 1200; i++) {
      searchStatementName(`SELECT ${i} -- many`);
      const second = searchStatementName(`SELECT ${i} -- many`);
      if (second) given.add(second);
    }
    assert.ok(given.size < 500, `${given.size} names given`);
    assert.equal(searchStatementName('SELECT 1 -- late'), undefined);
    assert.equal(searchStatementName('SELECT 1 -- late'), undefined, 'a new text past the limit stays unnamed');
    assert.equal(searchStatementName(kept), name);
  });
});
