/**
 * `passerelle hl7 list [--status S] [--count N]` prints the message log (newest first, one JSON
 * line a message: id, time, type, status, error; never contents); `passerelle hl7 replay <id>...`
 * or `--status error` applies messages again once the cause of their error is fixed, and prints
 * each outcome. The same as `GET /admin/hl7/messages` and `POST /admin/hl7/messages/{id}/$replay`.
 */
import { loadR4Definitions } from '../fhir/index.ts';
import { listMessages, type MessageStatus } from '../hl7-bridge/index.ts';
import { bedAvailabilityRule, loadProfiles } from '../profiles/index.ts';
import type { Config } from './config.ts';
import { withMigratedDatabase } from './database/open.ts';
import { createHl7Pipeline } from './hl7.ts';
import type { Logger } from './logger.ts';

const STATUSES: readonly MessageStatus[] = ['received', 'applied', 'rejected', 'error'];

function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

export async function hl7Command(args: string[], config: Config, logger: Logger, help: string): Promise<number> {
  const [action, ...rest] = args;
  const status = option(rest, '--status') as MessageStatus | undefined;
  const count = Number(option(rest, '--count') ?? 100);
  const ids = rest.filter((arg, i) => /^\d+$/.test(arg) && rest[i - 1] !== '--count');
  const valid = (action === 'list' || (action === 'replay' && (ids.length > 0 || status)))
    && (status === undefined || STATUSES.includes(status)) && Number.isInteger(count) && count > 0;
  if (!valid) {
    process.stderr.write(help);
    return 2;
  }
  loadR4Definitions();
  return withMigratedDatabase(config, async (db) => {
    if (action === 'list') {
      for (const message of await listMessages(db, { ...(status ? { status } : {}), count })) process.stdout.write(`${JSON.stringify(message)}\n`);
      return 0;
    }
    const pipeline = createHl7Pipeline(db, { profiles: loadProfiles(), hooks: [bedAvailabilityRule], logger, config });
    // Oldest first, as they arrived.
    const targets = ids.length ? ids : (await listMessages(db, { status, count })).map((m) => m.id).reverse();
    let failed = 0;
    for (const id of targets) {
      const result = await pipeline.replay(id);
      if (!result) {
        process.stderr.write(`No message ${id} in the log\n`);
        failed++;
        continue;
      }
      if (result.status !== 'applied') failed++;
      process.stdout.write(`${JSON.stringify({ id, status: result.status })}\n`);
    }
    return failed ? 1 : 0;
  });
}
