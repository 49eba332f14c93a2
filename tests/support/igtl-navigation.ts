/** The navigation system of igtl-navigation.cxx (the reference library) run against a server. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openIgtlinkProgram } from './openigtlink-program.ts';

const SOURCE = join(import.meta.dirname, 'igtl-navigation.cxx');

/** Sends its messages stamped `seconds`; what it printed of the answer to GET_STATUS (`STATUS <code>`). */
export async function runNavigationSystem(host: string, port: number, seconds: number): Promise<string> {
  const { stdout } = await promisify(execFile)(await openIgtlinkProgram(SOURCE), [host, String(port), String(seconds)], { timeout: 20_000 });
  return stdout.trim();
}
