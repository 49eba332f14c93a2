/**
 * OpenIGTLink's reference C++ library as a test peer: igtl-reference.cxx, compiled once per test
 * process against Debian's libopenigtlink-dev. Like DCMTK for the pixel tests, it is a test
 * dependency: when it or g++ is missing the tests fail with a message saying so, never skip.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const SOURCE = join(import.meta.dirname, 'igtl-reference.cxx');
const INCLUDE = '/usr/include/openigtlink';

/** A whole packed message (header and body) and its type name. */
export interface PackedMessage {
  type: string;
  bytes: Buffer;
}

let compiled: Promise<string> | undefined;

function program(): Promise<string> {
  compiled ??= (async () => {
    if (!existsSync(join(INCLUDE, 'igtlMessageBase.h'))) {
      throw new Error(`OpenIGTLink's headers are not in ${INCLUDE}: these tests compare with the reference library (Debian package libopenigtlink-dev)`);
    }
    const dir = mkdtempSync(join(tmpdir(), 'igtl-reference-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const binary = join(dir, 'igtl-reference');
    try {
      await promisify(execFile)('g++', ['-std=c++17', '-O1', `-I${INCLUDE}`, SOURCE, '-o', binary, '-lOpenIGTLink', '-pthread']);
    } catch (error) {
      const { code, stderr } = error as { code?: string; stderr?: string };
      if (code === 'ENOENT') throw new Error('g++ is not installed: the OpenIGTLink reference program is compiled with it (Debian packages g++ and libopenigtlink-dev)');
      throw new Error(`compiling ${SOURCE} against libopenigtlink-dev failed:\n${stderr ?? String(error)}`);
    }
    return binary;
  })();
  return compiled;
}

/** Runs the program; its output lines. */
async function run(args: string[], input = ''): Promise<string[]> {
  const child = spawn(await program(), args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stdin.end(input);
  const code = await new Promise<number | null>((resolve, reject) => child.on('error', reject).on('close', resolve));
  if (code !== 0) throw new Error(`igtl-reference ${args.join(' ')} exited with ${code}`);
  return Buffer.concat(chunks).toString('utf8').split('\n').filter((line) => line !== '');
}

/** The messages igtl-reference.cxx lists, packed by the library, in its order. */
export async function packWithReference(): Promise<PackedMessage[]> {
  return (await run([])).map((line) => {
    const [type = '', hex = ''] = line.split(' ');
    return { type, bytes: Buffer.from(hex, 'hex') };
  });
}

/**
 * Each message unpacked by the library with its CRC checked, one line each:
 * `<TYPE> ok <device> <seconds> <fraction> <fields...>` or `<TYPE> fail <why>`.
 */
export function unpackWithReference(messages: readonly PackedMessage[]): Promise<string[]> {
  return run(['decode'], messages.map(({ type, bytes }) => `${type} ${bytes.toString('hex')}\n`).join(''));
}
