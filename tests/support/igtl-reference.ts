/**
 * OpenIGTLink's reference C++ library as a test peer of the codec: igtl-reference.cxx packs and
 * unpacks messages (see openigtlink-program.ts for how it is built).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { openIgtlinkProgram } from './openigtlink-program.ts';

const SOURCE = join(import.meta.dirname, 'igtl-reference.cxx');

/** A whole packed message (header and body) and its type name. */
export interface PackedMessage {
  type: string;
  bytes: Buffer;
}

/** Runs the program; its output lines. */
async function run(args: string[], input = ''): Promise<string[]> {
  const child = spawn(await openIgtlinkProgram(SOURCE), args, { stdio: ['pipe', 'pipe', 'inherit'] });
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
