/** Entry point: `node server/main.ts <command>` (see server/cli.ts). */
import { main } from './cli.ts';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`passerelle: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
