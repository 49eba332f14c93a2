/**
 * `passerelle anonymize dicom|fhir|openehr <in> <out> [--profile <file.json>] [--subject <system|id>]`:
 * offline de-identification with the same keys (ANON_SECRET) and rules as the export, so files
 * anonymised here and exported cohorts give one patient the same pseudonym and shift.
 * `<in>` is a file or a directory (every file in it, not recursing); `<out>` is then a file or a
 * directory. A file that cannot be de-identified is reported (never its content) and skipped;
 * the exit status is 1 when any was.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Resource } from '@medplum/fhirtypes';
import { Pseudonymizer, PseudonymSecretError } from '../anonymizer/index.ts';
import { anonymizeDicom, resolveOptions, type DicomAnonymizeOptions } from '../anonymizer/dicom/index.ts';
import { deidentifyResources, loadProfile, researchProfile } from '../anonymizer/fhir/index.ts';
import { anonymizeComposition, anonymizeEhrStatus, type OpenEhrAnonymizeOptions } from '../anonymizer/openehr/index.ts';
import type { Config } from './config.ts';

type Kind = 'dicom' | 'fhir' | 'openehr';
const KINDS: readonly Kind[] = ['dicom', 'fhir', 'openehr'];

function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

/** The files to read and where each goes. */
function plan(input: string, output: string): { from: string; to: string }[] {
  if (!statSync(input).isDirectory()) return [{ from: input, to: output }];
  mkdirSync(output, { recursive: true });
  return readdirSync(input, { withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => ({ from: join(input, entry.name), to: join(output, entry.name) }))
    .sort((a, b) => a.from.localeCompare(b.from));
}

export async function anonymizeCommand(args: string[], config: Config, help: string): Promise<number> {
  const positional = args.filter((arg, i) => !arg.startsWith('--') && !['--profile', '--subject'].includes(args[i - 1] ?? ''));
  const [kind, input, output] = positional as [Kind | undefined, string | undefined, string | undefined];
  if (!kind || !KINDS.includes(kind) || !input || !output || positional.length !== 3) {
    process.stderr.write(help);
    return 2;
  }
  let pseudonymizer: Pseudonymizer;
  try {
    pseudonymizer = new Pseudonymizer(config.anon.secret, { minShiftDays: config.anon.minShiftDays, maxShiftDays: config.anon.maxShiftDays });
  } catch (err) {
    if (err instanceof PseudonymSecretError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const profileFile = option(args, '--profile');
  const subject = option(args, '--subject');
  let files: { from: string; to: string }[];
  try {
    files = plan(input, output);
  } catch {
    process.stderr.write(`Cannot read ${input}\n`);
    return 2;
  }
  if (kind === 'fhir') return fhirFiles(files, pseudonymizer, profileFile);
  let failed = 0;
  const anonymizeOne = kind === 'dicom' ? dicomAnonymizer(pseudonymizer, profileFile) : openEhrAnonymizer(pseudonymizer, profileFile, subject);
  for (const { from, to } of files) {
    try {
      writeFileSync(to, anonymizeOne(readFileSync(from)));
    } catch (err) {
      failed++;
      process.stderr.write(`${basename(from)}: ${describe(err)}\n`);
    }
  }
  process.stdout.write(`${files.length - failed} of ${files.length} file(s) de-identified\n`);
  return failed ? 1 : 0;
}

function dicomAnonymizer(pseudonymizer: Pseudonymizer, profileFile: string | undefined): (bytes: Buffer) => Buffer {
  const options = resolveOptions(profileFile ? (JSON.parse(readFileSync(profileFile, 'utf8')) as Partial<DicomAnonymizeOptions>) : {});
  return (bytes) => anonymizeDicom(bytes, pseudonymizer, options).bytes;
}

function openEhrAnonymizer(pseudonymizer: Pseudonymizer, profileFile: string | undefined, subject: string | undefined): (bytes: Buffer) => string {
  const options: OpenEhrAnonymizeOptions = profileFile ? (JSON.parse(readFileSync(profileFile, 'utf8')) as OpenEhrAnonymizeOptions) : {};
  // `--subject system|id`: the EHR's subject, for compositions that do not name it themselves.
  if (subject !== undefined) options.identity = subject;
  return (bytes) => {
    const json = JSON.parse(bytes.toString('utf8')) as { _type?: unknown };
    const out = json._type === 'EHR_STATUS' ? anonymizeEhrStatus(json, pseudonymizer, options) : anonymizeComposition(json, pseudonymizer, options);
    return `${JSON.stringify(out, null, 2)}\n`;
  };
}

/**
 * FHIR files are de-identified as one set, so that references between them (and a patient's
 * resources spread over files) agree. A `.ndjson` file stays NDJSON; a `.json` file holds one resource.
 */
function fhirFiles(files: { from: string; to: string }[], pseudonymizer: Pseudonymizer, profileFile: string | undefined): number {
  const profile = profileFile ? loadProfile(profileFile) : researchProfile();
  const parsed: { to: string; ndjson: boolean; resources: Resource[] }[] = [];
  let failed = 0;
  for (const { from, to } of files) {
    try {
      const text = readFileSync(from, 'utf8');
      const ndjson = from.endsWith('.ndjson');
      const resources = (ndjson ? text.split('\n').filter((line) => line.trim() !== '') : [text]).map((line) => JSON.parse(line) as Resource);
      if (!resources.every((r) => typeof r?.resourceType === 'string')) throw new Error('not FHIR JSON: a resource has no resourceType');
      parsed.push({ to, ndjson, resources });
    } catch (err) {
      failed++;
      process.stderr.write(`${basename(from)}: ${describe(err)}\n`);
    }
  }
  const all = deidentifyResources(parsed.flatMap((file) => file.resources), pseudonymizer, profile);
  let at = 0;
  for (const file of parsed) {
    const out = all.slice(at, at + file.resources.length);
    at += file.resources.length;
    writeFileSync(file.to, file.ndjson ? out.map((r) => `${JSON.stringify(r)}\n`).join('') : `${JSON.stringify(out[0], null, 2)}\n`);
  }
  process.stdout.write(`${parsed.length} of ${files.length} file(s) de-identified\n`);
  return failed ? 1 : 0;
}

/** An error's message (ours never quote patient data); JSON syntax errors are named, not quoted. */
function describe(err: unknown): string {
  if (err instanceof SyntaxError) return 'not valid JSON';
  return err instanceof Error ? err.message : String(err);
}
