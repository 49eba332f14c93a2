/**
 * DCMTK, the reference peer the pixel tests compare with. It is a test dependency like
 * PostgreSQL: when it is missing the tests fail with this message rather than skip.
 */
import { execFileSync } from 'node:child_process';

export function requireDcmtk(...tools: string[]): void {
  for (const tool of tools) {
    try {
      execFileSync(tool, ['--version'], { stdio: 'ignore' });
    } catch {
      throw new Error(`DCMTK's ${tool} is not installed: these tests compare with DCMTK (Debian package dcmtk; .ci/run installs it)`);
    }
  }
}
