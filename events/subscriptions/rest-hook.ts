/**
 * Sends the queued rest-hook notifications (`subscription_delivery`, filled by consumer.ts) with
 * the `channel.header` headers, as R4's channel type says: without a payload, a POST with no
 * body to `channel.endpoint` ("something changed, come and look"); with one, the endpoint is
 * read as a FHIR base and the resource version is sent as an update, `PUT
 * [endpoint]/[type]/[id]` (as `channel.payload`, e.g. application/fhir+json), as HAPI FHIR does.
 *
 * Order and safety with several instances: only the oldest row of each subscription may be
 * claimed, and a claim is a lease on the row (`FOR UPDATE SKIP LOCKED` to take it), so one
 * subscription's notifications go one at a time, in feed order, whichever instance sends them.
 * A 2xx answer removes the row. A failure (other status, network error, timeout) is retried with
 * exponential back-off; after `maxAttempts` failures the Subscription is set to status `error`
 * with an `error` text (a new version, through the repository) and its pending rows are dropped.
 * Rows of a Subscription that is gone, `off` or `error` are dropped unsent.
 *
 * Nothing here logs or stores a payload, a header value or the endpoint URL (they may carry
 * patient data or credentials): errors name the subscription and the kind of failure only.
 * @see https://hl7.org/fhir/R4/subscription.html
 * @see https://terminology.hl7.org/CodeSystem-subscription-channel-type.html
 */
import { randomUUID } from 'node:crypto';
import type { Resource, Subscription } from '@medplum/fhirtypes';
import type { Database, Queryable, Repository } from '../../fhir/index.ts';
import { carriesPayload, isNotified, parseHeaders, payloadContentType } from './channel.ts';
import { InterruptibleSleep } from '../interruptible-sleep.ts';

export interface RestHookOptions {
  /** How often due notifications are looked for when none were waiting, in ms. */
  pollMs?: number;
  /** Subscriptions served at once (one notification each in flight). */
  concurrency?: number;
  /** Time allowed for one POST, in ms. */
  timeoutMs?: number;
  /** Failures of one notification after which its Subscription is set to `error`. */
  maxAttempts?: number;
  /** Wait after the first failure, in ms; doubled after each further one. */
  initialBackoffMs?: number;
  /** The longest wait between two attempts, in ms. */
  maxBackoffMs?: number;
  /** Told of each failed attempt (no payload, headers or URL in it). */
  onAttemptFailed?: (event: { subscriptionId: string; attempts: number; reason: string; givenUp: boolean }) => void;
  /** Told of unexpected errors (e.g. the database); the loop goes on. */
  onError?: (err: unknown) => void;
}

interface DeliveryRow {
  id: string;
  subscription_id: string;
  resource_type: string;
  resource_id: string;
  version_id: string;
  interaction: 'create' | 'update' | 'delete';
  attempts: number;
}

type Outcome = { ok: true } | { ok: false; reason: string };

export class RestHookDeliverer {
  readonly #db: Database;
  readonly #repositoryIn: (q: Queryable) => Repository;
  readonly #owner = randomUUID();
  readonly #pollMs: number;
  readonly #concurrency: number;
  readonly #timeoutMs: number;
  readonly #maxAttempts: number;
  readonly #initialBackoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #options: RestHookOptions;
  #running: Promise<void> | undefined;
  #stopped = false;
  readonly #pause = new InterruptibleSleep();

  /** `repositoryIn(q)` gives a repository on `q` (the database or a transaction) with the server's write hooks. */
  constructor(db: Database, repositoryIn: (q: Queryable) => Repository, options: RestHookOptions = {}) {
    this.#db = db;
    this.#repositoryIn = repositoryIn;
    this.#pollMs = options.pollMs ?? 250;
    this.#concurrency = options.concurrency ?? 16;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#maxAttempts = options.maxAttempts ?? 5;
    this.#initialBackoffMs = options.initialBackoffMs ?? 1000;
    this.#maxBackoffMs = options.maxBackoffMs ?? 5 * 60_000;
    this.#options = options;
  }

  start(): void {
    this.#stopped = false;
    this.#running ??= this.#loop();
  }

  /** Looks for due notifications now (e.g. after the consumer queued some). */
  wake(): void {
    this.#pause.wake();
  }

  /** Stops after the POSTs in flight; what is still queued waits in the table for the next start. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.wake();
    await this.#running;
    this.#running = undefined;
  }

  /** Claims and sends one round of due notifications; resolves with how many were tried. */
  async deliverDue(): Promise<number> {
    const rows = await this.#claim();
    await Promise.all(rows.map((row) => this.#deliver(row).catch((err: unknown) => this.#options.onError?.(err))));
    return rows.length;
  }

  async #loop(): Promise<void> {
    while (!this.#stopped) {
      let tried = 0;
      try {
        tried = await this.deliverDue();
      } catch (err) {
        this.#options.onError?.(err);
      }
      if (tried === 0 && !this.#stopped) await this.#pause.sleep(this.#pollMs);
    }
  }

  /** The due heads of the subscriptions' queues, leased to us for longer than a POST may take. */
  #claim(): Promise<DeliveryRow[]> {
    const leaseSeconds = this.#timeoutMs / 1000 + 30;
    return this.#db.query<DeliveryRow>(
      `UPDATE subscription_delivery d SET claimed_by = $1, claimed_until = now() + make_interval(secs => $2)
       WHERE d.id IN (
         SELECT h.id FROM subscription_delivery h
         WHERE h.next_attempt_at <= now()
           AND (h.claimed_until IS NULL OR h.claimed_until < now())
           AND h.id = (SELECT min(o.id) FROM subscription_delivery o WHERE o.subscription_id = h.subscription_id)
         ORDER BY h.id LIMIT $3
         FOR UPDATE SKIP LOCKED)
       RETURNING d.id::text, d.subscription_id, d.resource_type, d.resource_id, d.version_id::text, d.interaction, d.attempts`,
      [this.#owner, leaseSeconds, this.#concurrency],
    );
  }

  async #deliver(row: DeliveryRow): Promise<void> {
    const repo = this.#repositoryIn(this.#db);
    const subscription = await repo.readIfExists<Subscription>('Subscription', row.subscription_id);
    if (!subscription || !isNotified(subscription) || subscription.channel?.type !== 'rest-hook') {
      await this.#db.query('DELETE FROM subscription_delivery WHERE subscription_id = $1', [row.subscription_id]);
      return;
    }
    const outcome = await this.#post(subscription, row, repo);
    if (outcome.ok) {
      await this.#db.query('DELETE FROM subscription_delivery WHERE id = $1 AND claimed_by = $2', [row.id, this.#owner]);
      return;
    }
    const attempts = row.attempts + 1;
    const givenUp = attempts >= this.#maxAttempts;
    this.#options.onAttemptFailed?.({ subscriptionId: row.subscription_id, attempts, reason: outcome.reason, givenUp });
    if (givenUp) return this.#giveUp(row.subscription_id, `Notification failed ${attempts} times; last failure: ${outcome.reason}`);
    const backoffMs = Math.min(this.#maxBackoffMs, this.#initialBackoffMs * 2 ** (attempts - 1));
    await this.#db.query(
      `UPDATE subscription_delivery SET attempts = $3, last_error = $4, next_attempt_at = now() + make_interval(secs => $5),
         claimed_by = NULL, claimed_until = NULL
       WHERE id = $1 AND claimed_by = $2`,
      [row.id, this.#owner, attempts, outcome.reason, backoffMs / 1000],
    );
  }

  async #post(subscription: Subscription, row: DeliveryRow, repo: Repository): Promise<Outcome> {
    let url: string;
    let request: RequestInit;
    try {
      ({ url, request } = await this.#request(subscription, row, repo));
    } catch {
      return { ok: false, reason: 'the notification could not be built (headers or resource version)' };
    }
    try {
      const response = await fetch(url, request);
      await response.body?.cancel();
      return response.status >= 200 && response.status < 300 ? { ok: true } : { ok: false, reason: `HTTP ${response.status}` };
    } catch (err) {
      return { ok: false, reason: failureReason(err, this.#timeoutMs) };
    }
  }

  async #request(subscription: Subscription, row: DeliveryRow, repo: Repository): Promise<{ url: string; request: RequestInit }> {
    const endpoint = subscription.channel?.endpoint as string;
    const headers = new Headers(parseHeaders(subscription.channel?.header));
    const common = {
      headers,
      redirect: 'manual' as const, // a redirect is not a delivery, and following one would resend the headers elsewhere
      signal: AbortSignal.timeout(this.#timeoutMs),
    };
    if (!carriesPayload(subscription)) return { url: endpoint, request: { ...common, method: 'POST' } };
    const resource: Resource = await repo.vread(row.resource_type, row.resource_id, row.version_id);
    headers.set('Content-Type', payloadContentType(subscription));
    const url = `${endpoint.replace(/\/+$/, '')}/${encodeURIComponent(row.resource_type)}/${encodeURIComponent(row.resource_id)}`;
    return { url, request: { ...common, method: 'PUT', body: JSON.stringify(resource) } };
  }

  /** Sets the Subscription to `error` (a new version) and drops its pending notifications. */
  async #giveUp(subscriptionId: string, error: string): Promise<void> {
    await this.#db.transaction(async (tx) => {
      const repo = this.#repositoryIn(tx);
      const current = await repo.readIfExists<Subscription>('Subscription', subscriptionId);
      if (current && isNotified(current)) {
        await repo.update({ ...current, status: 'error', error } as Subscription, { ifMatch: `W/"${current.meta?.versionId ?? ''}"` });
      }
      await tx.query('DELETE FROM subscription_delivery WHERE subscription_id = $1', [subscriptionId]);
    });
  }
}

/** What went wrong, without the URL or anything the endpoint sent back. */
function failureReason(err: unknown, timeoutMs: number): string {
  if (err instanceof DOMException && (err.name === 'TimeoutError' || err.name === 'AbortError')) return `no answer within ${timeoutMs} ms`;
  const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string') return `connection failed (${cause.code})`;
  return 'connection failed';
}
