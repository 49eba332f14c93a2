/**
 * `passerelle reindex [--type T,...]`: rebuilds the search index of every current resource (after
 * a search parameter, a profile or the extraction changed). Safe while the server runs.
 */
import { loadR4Definitions, reindexAll } from '../fhir/index.ts';
import type { Config } from './config.ts';
import { withMigratedDatabase } from './database/open.ts';
import type { Logger } from './logger.ts';

export async function reindexCommand(args: string[], config: Config, logger: Logger, help: string): Promise<number> {
  const typeFlag = args.indexOf('--type');
  const types = typeFlag >= 0 ? args[typeFlag + 1]?.split(',').filter((t) => t !== '') : undefined;
  if (typeFlag >= 0 && !types?.length) {
    process.stderr.write(help);
    return 2;
  }
  loadR4Definitions();
  return withMigratedDatabase(config, async (db) => {
    const started = Date.now();
    let last = 0;
    const done = await reindexAll(db, {
      resourceTypes: types,
      onProgress: (n) => {
        if (n - last >= 10_000) {
          last = n;
          logger.info({ reindexed: n }, 'reindexing');
        }
      },
    });
    logger.info({ reindexed: done, seconds: Math.round((Date.now() - started) / 100) / 10 }, 'reindex done');
    return 0;
  });
}
