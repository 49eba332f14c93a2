/**
 * The `subscriptions` durable consumer: reads the change feed in order and queues one rest-hook
 * notification per (matching Subscription, change) in `subscription_delivery`, in the transaction
 * that advances its cursor, so nothing is lost or queued twice across restarts (the POSTs
 * themselves are rest-hook.ts's). Websocket subscriptions are notified from each instance's live
 * feed instead (websocket.ts): a socket exists only on the instance that holds it.
 *
 * It also does R4's server step of accepting a Subscription: one it sees as `requested` is updated
 * to `active` (a new version, through the repository) in the same transaction.
 * @see https://hl7.org/fhir/R4/subscription.html (status)
 */
import type { Subscription } from '@medplum/fhirtypes';
import { FhirError, type Queryable, type Repository } from '../../fhir/index.ts';
import type { Change } from '../change.ts';
import type { DurableConsumer } from '../durable-consumer.ts';
import { involvesSubscriptions, SubscriptionMatcher, type SubscriptionMatch } from './matcher.ts';

/** The consumer's row in `change_consumer`; keep it stable across releases. */
export const SUBSCRIPTIONS_CONSUMER = 'subscriptions';

/**
 * The consumer to hand to a ConsumerRunner. `repositoryIn(tx)` gives a repository bound to the
 * delivery transaction (with the server's write hooks, as every write has).
 */
export function subscriptionsConsumer(repositoryIn: (tx: Queryable) => Repository): DurableConsumer {
  const matcher = new SubscriptionMatcher();
  return {
    name: SUBSCRIPTIONS_CONSUMER,
    async deliver(changes: Change[], tx: Queryable): Promise<void> {
      const repo = repositoryIn(tx);
      // The set of subscriptions is read as it is now for the whole batch: a Subscription created
      // late in a batch may be notified of a change just before it (at least once, never less).
      if (!matcher.loaded || involvesSubscriptions(changes)) {
        await matcher.refresh(repo);
        await activateRequested(repo, matcher);
      }
      const matches = await matcher.match(changes, repo, (s) => s.channel === 'rest-hook');
      await queue(tx, matches);
    },
  };
}

/** Inserts the notifications in feed order: `id` order is the order a subscription's POSTs go in. */
async function queue(tx: Queryable, matches: SubscriptionMatch[]): Promise<void> {
  if (matches.length === 0) return;
  await tx.query(
    `INSERT INTO subscription_delivery (subscription_id, resource_type, resource_id, version_id, interaction)
     SELECT s, t, r, v, i FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[]) WITH ORDINALITY AS q(s, t, r, v, i, n)
     ORDER BY n`,
    [
      matches.map((m) => m.subscription.id),
      matches.map((m) => m.change.resourceType),
      matches.map((m) => m.change.id),
      matches.map((m) => m.change.versionId),
      matches.map((m) => m.change.interaction),
    ],
  );
}

/** `requested` -> `active`, for those the matcher just loaded (it notifies both alike meanwhile). */
async function activateRequested(repo: Repository, matcher: SubscriptionMatcher): Promise<void> {
  for (const { resource } of matcher.subscriptions) {
    if (resource.status !== 'requested') continue;
    try {
      await repo.update({ ...resource, status: 'active' } as Subscription, { ifMatch: `W/"${resource.meta?.versionId ?? ''}"` });
    } catch (err) {
      // Changed since we read it: that change passes through the feed and we look again then.
      if (!(err instanceof FhirError && err.status === 412)) throw err;
    }
  }
}
