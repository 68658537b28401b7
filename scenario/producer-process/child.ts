/**
 * A producer process: an EventProducer with a spool, driven over IPC by ./producer-process.ts. It is
 * what an upstream application's producing process would be, and it can be killed (SIGKILL) at any
 * moment: what it had spooled is sent again by the next process on the same spool.
 */
import { EventProducer } from '../../client';
import type { ChildProducerOptions, FromChild, ToChild } from './protocol';

const options = JSON.parse(process.argv[2] ?? '{}') as ChildProducerOptions;
const tell = (message: FromChild): void => {
  process.send?.(message);
};

async function main(): Promise<void> {
  const producer = await EventProducer.open({
    stream: { streamName: options.streamName },
    lingerMs: options.lingerMs ?? 10,
    ...(options.backoff ? { backoff: options.backoff } : {}),
    spool: {
      directory: options.spoolDirectory,
      ...(options.fsync ? { fsync: options.fsync } : {}),
      ...(options.maxSpoolBytes ? { maxBytes: options.maxSpoolBytes } : {}),
      ...(options.segmentBytes ? { segmentBytes: options.segmentBytes } : {}),
    },
    onRecovered: ({ event, outcome }) => void outcome.then((result) => tell({ type: 'outcome', id: event.id, outcome: result })),
  });
  tell({ type: 'ready', recovered: producer.metrics().recovered, corruption: producer.spoolCorruption });
  const report = setInterval(() => tell({ type: 'metrics', metrics: producer.metrics() }), options.metricsEveryMs ?? 500);

  // Sends go to the producer as they arrive (concurrent appends share one fsync); flush and close wait
  // for every send before them to be spooled, as an application awaiting its send() calls would.
  const sending = new Set<Promise<void>>();
  let chain = Promise.resolve();
  process.on('message', (message: ToChild) => {
    if (message.type === 'send') {
      const send = producer.send(message.event).then(
        (sent) => {
          tell({ type: 'spooled', n: message.n });
          void sent.outcome.then((outcome) => tell({ type: 'outcome', n: message.n, id: sent.event.id, outcome }));
        },
        (error: unknown) => tell({ type: 'rejected', n: message.n, error: String(error) }),
      );
      sending.add(send);
      void send.finally(() => sending.delete(send));
      return;
    }
    chain = chain.then(async () => {
      await Promise.all(sending);
      if (message.type === 'flush') {
        const error = await producer.flush().then(
          () => undefined,
          (e: unknown) => String(e),
        );
        tell({ type: 'metrics', metrics: producer.metrics() });
        tell({ type: 'flushed', ...(error ? { error } : {}) });
        return;
      }
      clearInterval(report);
      const error = await producer.close().then(
        () => undefined,
        (e: unknown) => String(e),
      );
      tell({ type: 'metrics', metrics: producer.metrics() });
      tell({ type: 'closed', ...(error ? { error } : {}) });
      process.disconnect();
    });
  });
}

// Ctrl-C in a terminal reaches the whole process group: the parent decides when this process ends.
process.on('SIGINT', () => undefined);
// The scenario (or test) that drives this process is gone: stop; the spool keeps what was not delivered.
process.on('disconnect', () => process.exit(0));

main().catch((error: unknown) => {
  tell({ type: 'closed', error: `could not start: ${String(error)}` });
  process.exitCode = 1;
  process.disconnect();
});
