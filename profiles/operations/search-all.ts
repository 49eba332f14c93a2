/** Every match of a search, page after page (for operations that aggregate, never truncate). */
import type { Resource } from '@medplum/fhirtypes';
import { parseSearch, type Repository } from '../../fhir/index.ts';

const PAGE = 1000;

export async function searchAll(repo: Repository, type: string, criteria: Record<string, string>): Promise<Resource[]> {
  const found: Resource[] = [];
  for (let cursor: string | undefined; ; ) {
    const query = new URLSearchParams({ ...criteria, _count: String(PAGE) });
    if (cursor) query.set('_cursor', cursor);
    const page = await repo.search(parseSearch(type, query));
    found.push(...page.resources);
    cursor = page.next;
    if (!cursor) return found;
  }
}
