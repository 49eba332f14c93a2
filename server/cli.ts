/**
 * The `passerelle` command line: `serve` (what `npm start` runs), `migrate`, `seed --demo`, `reindex`
 * `hl7 list|replay`, `anonymize dicom|fhir|openehr` and `--help`.
 */
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { serve } from './serve.ts';

const HELP = `Usage: passerelle <command> [options]

Commands:
  serve        Start the server (HTTP: FHIR R4 at /fhir, /healthz, /readyz, /metrics)
  migrate      Apply database migrations and exit
  seed --demo  Write the demo region (hospitals around Bordeaux, wards, beds, operating rooms) and exit
  reindex      Rebuild the search index of every resource from its stored content and exit
  hl7 list     List the HL7 v2 message log (hl7 replay: apply logged messages again)
  anonymize    De-identify DICOM, FHIR or openEHR files offline (anonymize dicom|fhir|openehr <in> <out>)

Settings come from the environment (see README.md): HOST, PORT, MLLP_PORT, DATA_DIR, DATABASE_URL,
LOG_LEVEL, FHIR_MAX_BODY_BYTES, PUBLIC_URL, SHUTDOWN_GRACE_SECONDS, DATABASE_POOL_SIZE, and the
HL7 v2 bridge's MLLP_TLS_*, MLLP_IDLE_TIMEOUT_SECONDS, HL7_* settings, ANON_SECRET and ANON_SHIFT_*.
Run "passerelle <command> --help" for a command's help.
`;

const COMMAND_HELP: Record<string, string> = {
  serve: `Usage: passerelle serve\n\nStarts Passerelle: applies migrations, then listens on HOST:PORT (default 127.0.0.1:8080) for HTTP\nand on HOST:MLLP_PORT (default 2575, 0 disables) for HL7 v2 over MLLP.\nStops gracefully on SIGTERM or SIGINT.\n`,
  hl7: `Usage: passerelle hl7 list [--status received|applied|rejected|error] [--count N]\n       passerelle hl7 replay <id>... | --status error [--count N]\n\nlist prints the HL7 v2 message log, newest first, one JSON line per message (id, time, type,\nstatus, error; never its contents). replay applies logged messages again, oldest first (after\nthe cause of their error was fixed), prints each outcome, and exits 1 if any is not applied.\n`,
  anonymize: `Usage: passerelle anonymize dicom|fhir|openehr <in> <out> [--profile <file.json>] [--subject <system|id>]

De-identifies a file, or every file of a directory into another, with the keys of ANON_SECRET:
the same patient gets the same pseudonym, date shift and UIDs as in the research export.
  dicom    Part 10 files, PS3.15 Annex E Basic Profile; --profile: a JSON of options, e.g.
           {"retainDeviceIdentity": true, "cleanDescriptors": true, "allowBurnedInAnnotation": false,
            "safePrivate": [{"creator": "SIEMENS CSA HEADER", "tag": "0029xx08"}]}
  fhir     .json resources or .ndjson files, de-identified as one set (references agree); --profile:
           a rules profile (see anonymizer/fhir/research-profile.json, the default)
  openehr  canonical JSON COMPOSITION or EHR_STATUS; --subject: the EHR subject's system|id for
           compositions that do not name it; --profile: {"removeFreeText": false} to keep free text
Exits 1 when a file could not be de-identified (it is named, its content never shown).
`,
  migrate: `Usage: passerelle migrate\n\nApplies pending database migrations (to DATABASE_URL, or the embedded database in DATA_DIR) and exits.\n`,
  seed: `Usage: passerelle seed --demo [--hospitals <n>]\n\nApplies migrations, then writes the demo region: 12 fictitious hospitals around Bordeaux (or n) with\ntheir site, wards, beds, operating rooms and equipment; each ward's bed-availability Observation is\nderived as it is written. Ids come from natural keys, so running it again changes nothing.\n`,
  reindex: `Usage: passerelle reindex [--type Patient,Location]\n\nApplies migrations, then re-extracts the search index rows of every current resource (or of the\ngiven types) from its stored content: after a search parameter or the index itself changed.\nWrites no new versions; safe while the server is running.\n`,
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
    return command ? 0 : 1;
  }
  if (!(command in COMMAND_HELP)) {
    process.stderr.write(`Unknown command "${command}".\n\n${HELP}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(COMMAND_HELP[command] as string);
    return 0;
  }
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  if (command === 'migrate') {
    const { withMigratedDatabase } = await import('./database/open.ts');
    const applied = await withMigratedDatabase(config, async (_db, names) => names);
    logger.info({ applied }, 'migrations applied');
    return 0;
  }
  if (command === 'reindex') {
    const { reindexCommand } = await import('./reindex.ts');
    return reindexCommand(rest, config, logger, COMMAND_HELP.reindex as string);
  }
  if (command === 'hl7') {
    const { hl7Command } = await import('./hl7-command.ts');
    return hl7Command(rest, config, logger, COMMAND_HELP.hl7 as string);
  }
  if (command === 'anonymize') {
    const { anonymizeCommand } = await import('./anonymize-command.ts');
    return anonymizeCommand(rest, config, COMMAND_HELP.anonymize as string);
  }
  if (command === 'seed') {
    const { seedCommand } = await import('./seed.ts');
    return seedCommand(rest, config, logger, COMMAND_HELP.seed as string);
  }
  const running = await serve(config, logger);
  await new Promise<void>((resolve) => {
    const onSignal = (signal: string): void => {
      logger.info({ signal }, 'signal received');
      void running.stop().then(resolve);
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
  return 0;
}
