/**
 * DCMTK, the reference peer the pixel tests compare with. It is a test dependency like
 * PostgreSQL: when it is missing the tests fail with this message rather than skip.
 */
import { execFileSync, spawnSync } from 'node:child_process';

export function requireDcmtk(...tools: string[]): void {
  for (const tool of tools) {
    try {
      execFileSync(tool, ['--version'], { stdio: 'ignore' });
    } catch {
      throw new Error(`DCMTK's ${tool} is not installed: these tests compare with DCMTK (Debian package dcmtk; .ci/run installs it)`);
    }
  }
}

/** dicom3tools' dciodvfy, the IOD validator the anonymiser's output is checked with. */
export function requireDicom3tools(): void {
  const result = spawnSync('dciodvfy', [], { stdio: 'ignore' });
  if (result.error) throw new Error("dicom3tools' dciodvfy is not installed: the anonymiser's output is validated with it (Debian package dicom3tools; .ci/run installs it)");
}
