/**
 * Test programs built on OpenIGTLink's reference C++ library, compiled once per test process
 * against Debian's libopenigtlink-dev. Like DCMTK for the pixel tests, the library is a test
 * dependency: when it or g++ is missing the tests fail with a message saying so, never skip.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';

const INCLUDE = '/usr/include/openigtlink';
const compiled = new Map<string, Promise<string>>();

/** The path of the binary built from `source` (a .cxx file). */
export function openIgtlinkProgram(source: string): Promise<string> {
  let binary = compiled.get(source);
  if (!binary) {
    binary = compile(source);
    compiled.set(source, binary);
  }
  return binary;
}

async function compile(source: string): Promise<string> {
  if (!existsSync(join(INCLUDE, 'igtlMessageBase.h'))) {
    throw new Error(`OpenIGTLink's headers are not in ${INCLUDE}: these tests run against the reference library (Debian package libopenigtlink-dev)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'igtl-program-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const binary = join(dir, basename(source, '.cxx'));
  try {
    await promisify(execFile)('g++', ['-std=c++17', '-O1', `-I${INCLUDE}`, source, '-o', binary, '-lOpenIGTLink', '-pthread']);
  } catch (error) {
    const { code, stderr } = error as { code?: string; stderr?: string };
    if (code === 'ENOENT') throw new Error('g++ is not installed: the OpenIGTLink test programs are compiled with it (Debian packages g++ and libopenigtlink-dev)');
    throw new Error(`compiling ${source} against libopenigtlink-dev failed:\n${stderr ?? String(error)}`);
  }
  return binary;
}
