/**
 * The DynamoDB outage: the local target's fault proxy refuses (or stalls) every DynamoDB connection for
 * a few seconds, data kept. The processor must retry and lose nothing. Placed after the consumer has
 * recovered from the step before it. Needs the embedded local target's fault injector.
 */
import { defineStep } from './step';

const LABEL = 'DynamoDB outage';

export const dynamodbOutage = defineStep({
  name: 'dynamodbOutage',
  skipHelp: 'skip the DynamoDB outage',
  window: { label: LABEL, color: '#7b3fbf' },
  place({ cursorMs, tuning }) {
    const window = { startMs: cursorMs, endMs: cursorMs + tuning.dynamodbOutageSeconds * 1000 };
    return { window, nextCursorMs: window.endMs };
  },
  unavailable: ({ target }) => (target.canInjectFaults ? undefined : 'DynamoDB outage skipped: this target has no fault injector'),
  actions: ({ window }) =>
    window
      ? [
          {
            atMs: window.startMs,
            async run(ctx) {
              const how = ctx.tuning.dynamodbFault === 'refuse' ? 'refused' : 'stalled';
              ctx.target.setFault('dynamodb', ctx.tuning.dynamodbFault);
              ctx.windows.start(LABEL);
              ctx.log.phase = `DynamoDB outage (connections ${how})`;
              ctx.log.note(`DynamoDB outage: connections ${how}, data kept`);
            },
          },
          {
            atMs: window.endMs,
            closing: true,
            async run(ctx) {
              ctx.target.setFault('dynamodb', 'none');
              ctx.windows.end(LABEL);
              ctx.log.phase = 'steady load';
              ctx.log.note('DynamoDB outage over: connections flow again');
            },
          },
        ]
      : [],
});
