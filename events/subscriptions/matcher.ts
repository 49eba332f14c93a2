/**
 * Which Subscriptions a change matches, with the search engine's semantics: a change of
 * `Observation/1` matches `Observation?code=x` when `Observation?code=x&_id=1` finds it. The
 * search runs through the repository it is given; inside the subscriptions consumer's transaction
 * it sees the committed state (plus that transaction's own writes).
 *
 * Caveat, current state: the search sees the resource as it is now, not as the change wrote it. A
 * change read some time after it was committed (delivery is at least once, after restarts or
 * behind a backlog) is judged by the resource's present content; if the resource was changed again
 * since, both changes are judged alike, and a resource created and deleted since matches nothing.
 *
 * Deletes are not notified: R4 applies the criteria "to the new value of the resource", so "there
 * is no notification when a resource is deleted" (nor when an update stops it matching).
 *
 * A Subscription whose `end` has passed is no longer notified ("the time for the server to turn
 * the subscription off"); its stored status is left as it is.
 *
 * The Subscriptions themselves are cached; call `refresh` on start and whenever a change of type
 * Subscription passes (`involvesSubscriptions`).
 */
import type { Subscription } from '@medplum/fhirtypes';
import { parseSearch, type Repository } from '../../fhir/index.ts';
import type { Change } from '../change.ts';
import type { ChannelType } from './channel.ts';
import { NOTIFIED_STATUSES } from './channel.ts';
import { parseCriteria, type Criteria } from './criteria.ts';

export interface ActiveSubscription {
  id: string;
  channel: ChannelType;
  criteria: Criteria;
  resource: Subscription;
}

export interface SubscriptionMatch {
  subscription: ActiveSubscription;
  change: Change;
}

/** Ids looked up per search: `_id=a,b,...` with `_count` as large as the search engine allows. */
const IDS_PER_SEARCH = 500;
const PAGE_SIZE = 1000;

/** Whether a batch of changes may have changed the set of Subscriptions. */
export const involvesSubscriptions = (changes: readonly Change[]): boolean => changes.some((c) => c.resourceType === 'Subscription');

export class SubscriptionMatcher {
  #subscriptions: ActiveSubscription[] = [];
  #loaded = false;

  get loaded(): boolean {
    return this.#loaded;
  }

  get subscriptions(): readonly ActiveSubscription[] {
    return this.#subscriptions;
  }

  /** Reloads the Subscriptions that are notified (`requested` or `active`). */
  async refresh(repo: Repository): Promise<void> {
    const found: ActiveSubscription[] = [];
    let cursor: string | undefined;
    do {
      const query = new URLSearchParams({ status: [...NOTIFIED_STATUSES].join(','), _count: String(PAGE_SIZE), _sort: '_id' });
      if (cursor) query.set('_cursor', cursor);
      const page = await repo.search(parseSearch('Subscription', query));
      for (const resource of page.resources) {
        const active = toActive(resource as Subscription);
        if (active) found.push(active);
      }
      cursor = page.next;
    } while (cursor);
    this.#subscriptions = found;
    this.#loaded = true;
  }

  /**
   * The (subscription, change) pairs that notify, in feed order (and subscription order within a
   * change). `wanted` limits the subscriptions considered (a channel type, the bound ones).
   */
  async match(changes: readonly Change[], repo: Repository, wanted: (s: ActiveSubscription) => boolean = () => true): Promise<SubscriptionMatch[]> {
    const now = Date.now();
    const subscriptions = this.#subscriptions.filter((s) => !(s.resource.end && Date.parse(s.resource.end) <= now) && wanted(s));
    if (subscriptions.length === 0 || changes.length === 0) return [];
    const matching = new Map<ActiveSubscription, Set<string>>();
    for (const subscription of subscriptions) {
      const { resourceType } = subscription.criteria;
      const ids = [...new Set(changes.filter((c) => c.resourceType === resourceType && c.interaction !== 'delete').map((c) => c.id))];
      matching.set(subscription, subscription.criteria.typeOnly ? new Set(ids) : await matchingIds(repo, subscription.criteria, ids));
    }
    const pairs: SubscriptionMatch[] = [];
    for (const change of changes) {
      if (change.interaction === 'delete') continue;
      for (const subscription of subscriptions) {
        if (subscription.criteria.resourceType === change.resourceType && matching.get(subscription)?.has(change.id)) pairs.push({ subscription, change });
      }
    }
    return pairs;
  }
}

/** The Subscription as the matcher uses it, or undefined if it is not notified or no longer parses. */
function toActive(resource: Subscription): ActiveSubscription | undefined {
  const channel = resource.channel?.type;
  if (!resource.id || !NOTIFIED_STATUSES.has(resource.status ?? '') || (channel !== 'rest-hook' && channel !== 'websocket')) return undefined;
  try {
    return { id: resource.id, channel, criteria: parseCriteria(resource.criteria), resource };
  } catch {
    return undefined; // accepted by an earlier release whose search knew more: not notified
  }
}

/** The ids among `ids` whose current resource the criteria find. */
async function matchingIds(repo: Repository, criteria: Criteria, ids: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < ids.length; i += IDS_PER_SEARCH) {
    const chunk = ids.slice(i, i + IDS_PER_SEARCH);
    const query = new URLSearchParams(criteria.params);
    query.append('_id', chunk.join(','));
    query.set('_count', String(chunk.length));
    const page = await repo.search(parseSearch(criteria.resourceType, query));
    for (const resource of page.resources) if (resource.id) found.add(resource.id);
  }
  return found;
}
