/** The DICOM file store on a real file system: spooling, placing into new directories, at once. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DicomFileStore, type SpoolFile } from '../../dicomweb/file-store.ts';

const SHA = 'ab'.repeat(32);

describe('DICOM file store', () => {
  let root: string;
  let store: DicomFileStore;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'passerelle-files-'));
    store = new DicomFileStore(root);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  async function spooled(text: string): Promise<{ spool: SpoolFile; path: string; sha256: string; size: number }> {
    const spool = await store.spool();
    await spool.write(Buffer.from(text));
    const finished = spool.finish();
    await spool.flushed;
    return { spool, path: spool.path, ...finished };
  }

  it('spools even when its directory was removed behind its back', async () => {
    const first = await spooled('one');
    rmSync(join(root, '.incoming'), { recursive: true, force: true });
    const second = await spooled('two');
    assert.equal(readFileSync(second.path, 'utf8'), 'two');
    assert.equal(second.size, 3);
    assert.notEqual(first.path, second.path);
  });

  it('places files into new study and series directories, many at once into the same new ones', async () => {
    const paths = Array.from({ length: 12 }, (_, i) => store.pathFor('1.2.3', `1.2.3.${i % 2}`, `1.2.3.4.${i}`, SHA));
    const parts = await Promise.all(paths.map((_, i) => spooled(`instance ${i}`)));
    await Promise.all(paths.map((path, i) => store.place((parts[i] as { spool: SpoolFile }).spool, path)));
    paths.forEach((path, i) => assert.equal(readFileSync(store.absolute(path), 'utf8'), `instance ${i}`));
    assert.deepEqual(readdirSync(join(root, '1.2.3')).sort(), ['1.2.3.0', '1.2.3.1']);
    assert.deepEqual(readdirSync(join(root, '.incoming')).filter((name) => parts.some((p) => p.path.endsWith(name))), [], 'every spooled file moved');
  });
});
