/**
 * The write rule for Subscription resources: a Subscription is accepted only if Passerelle can
 * honour it (criteria the search engine understands, a channel it supports). It runs in the
 * write's transaction, so a refusal rolls the write back and answers 400 with an OperationOutcome,
 * whichever way the Subscription came in (REST, Bundle).
 *
 * The rule does not change what is stored: a `requested` Subscription is stored as `requested`
 * and moved to `active` by the subscriptions consumer (rest-hook.ts); both are notified alike.
 * @see https://hl7.org/fhir/R4/subscription.html
 */
import type { Subscription } from '@medplum/fhirtypes';
import type { Repository, ResourceChange, WriteHook } from '../../fhir/index.ts';
import { checkChannel } from './channel.ts';
import { parseCriteria } from './criteria.ts';

/** Checks a Subscription being written; throws a 400 FhirError when it cannot be honoured. */
export function checkSubscription(subscription: Subscription): void {
  // `off` and `error` ones are checked too: a client may turn them back on by changing only the status.
  parseCriteria(subscription.criteria);
  checkChannel(subscription);
}

export const subscriptionRules: WriteHook = {
  interestedIn: (resourceType) => resourceType === 'Subscription',
  afterWrite(_repo: Repository, change: ResourceChange): Promise<void> {
    if (change.after) checkSubscription(change.after as Subscription);
    return Promise.resolve();
  },
};
