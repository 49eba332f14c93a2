/**
 * The export worker: takes queued jobs one at a time (an export reads the whole store; two at once
 * would only halve each one's speed), gives stale runs' jobs back to the queue, and deletes the
 * files of jobs past their retention. Woken at kick-off; otherwise it looks every `pollMs`.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { claimNextJob, dropExpiredJobs, requeueStale } from './jobs.ts';
import { runExport, type ExportDependencies } from './run-export.ts';

export interface ExportRunnerOptions extends ExportDependencies {
  pollMs?: number;
  retentionHours: number;
  /** A run silent this long (its server stopped) is started again elsewhere. */
  staleSeconds?: number;
  onError(err: unknown): void;
}

export class ExportRunner {
  readonly #options: ExportRunnerOptions;
  #stopped = false;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;

  constructor(options: ExportRunnerOptions) {
    this.#options = options;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** A job was queued: look now rather than at the next poll. */
  wake(): void {
    this.#wake?.();
  }

  /** Stops after the current job's current page; an unfinished job is taken up again after a restart. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.wake();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { db } = this.#options;
    while (!this.#stopped) {
      try {
        await requeueStale(db, this.#options.staleSeconds ?? 120);
        for (const id of await dropExpiredJobs(db, this.#options.retentionHours)) await rm(join(this.#options.directory, id), { recursive: true, force: true });
        const job = await claimNextJob(db);
        if (job) {
          await runExport(job, { ...this.#options, stopping: () => this.#stopped });
          continue;
        }
      } catch (err) {
        this.#options.onError(err);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#options.pollMs ?? 2000);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }
}
