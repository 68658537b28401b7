/**
 * The team's own action: counts the views of each page. A transactional action is a pure reducer; the
 * stream-pipeline processor writes the new count with the event's idempotency key in one DynamoDB
 * transaction, so a view counts exactly once however often Kinesis delivers it, and a page's views are
 * applied in stream order.
 */
import { PoisonEventError, type ActionFactory, type TransactionalAction } from 'stream-pipeline/processor';

/** The one event type this pipeline takes (any other is dead-lettered as `unknown-type`). */
export const PAGE_VIEWED = 'com.example.page.viewed';

interface PageViewed {
  readonly page: string;
}

function pageOf(data: unknown): string {
  const page = (data as Partial<PageViewed> | undefined)?.page;
  // Data that can never count goes to the dead-letter queue, with this message, instead of being retried.
  if (typeof page !== 'string' || page.length === 0 || page.length > 512) throw new PoisonEventError('data.page must be a non-empty string of at most 512 characters');
  return page;
}

export const pageViewsAction: TransactionalAction = {
  kind: 'transactional',
  eventTypes: [PAGE_VIEWED],
  stateKey: ({ event }) => `page#${pageOf(event.data)}`,
  decide: ({ event }, current) => ({
    kind: 'write',
    attributes: { page: pageOf(event.data), views: (typeof current?.views === 'number' ? current.views : 0) + 1, lastViewAt: event.time },
  }),
};

export const pageViews: ActionFactory = () => pageViewsAction;
