/**
 * The scenario's side of a producer child process (./child.ts): it plays the application that embeds a
 * spooled producer in another process. send() hands the event to the child and keeps it until the child
 * says it is on the spool's disk; `crash()` kills the child with SIGKILL, `restart()` starts a new one on
 * the same spool. What the dead child had spooled the new one sends again (reported by envelope id);
 * what it had not yet spooled is handed to the new one again, in the original order, as an application
 * re-sends what send() never confirmed.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CloudEvent } from '../../lambdas/shared/envelope';
import type { ProducerMetrics, RecordOutcome, SpoolCorruption } from '../../client';
import { ScenarioError } from '../errors';
import type { ChildProducerOptions, FromChild, ToChild } from './protocol';

const CHILD = join(__dirname, 'child.ts');
const TSX = ['--import', pathToFileURL(require.resolve('tsx')).href];

export interface ProducerProcessOptions extends ChildProducerOptions {
  /** The child's environment (its AWS endpoints). Default: this process's. */
  readonly env?: NodeJS.ProcessEnv;
  /** Delete the spool directory when close() stopped the child cleanly. Default false. */
  readonly removeSpoolOnClose?: boolean;
}

/** A producer process on a spool of its own in a new temporary directory, removed by close(). */
export function startTemporarySpooledProducer(streamName: string, options: Partial<ProducerProcessOptions> = {}): Promise<ProducerProcess> {
  return ProducerProcess.start({ streamName, spoolDirectory: mkdtempSync(join(tmpdir(), 'scenario-spool-')), removeSpoolOnClose: true, ...options });
}

/** What happened across the children of one producer. */
export interface ProducerProcessCounters {
  readonly crashes: number;
  /** Events the restarted children found unacknowledged in the spool and sent again. */
  readonly recoveredOnRestart: number;
  /** Sends a dead child had not confirmed as spooled, handed to the next child. */
  readonly resentUnconfirmed: number;
  /** Outcomes reported a second time for an event already settled (sent again after a restart: a duplicate the processor skips). */
  readonly duplicateDeliveries: number;
  /** Events handed to the children (each spooled before it was sent). */
  readonly handedOver: number;
  /** The most events the spool held unacknowledged at once (sampled with the child's metrics). */
  readonly peakSpooled: number;
  readonly corruption: readonly SpoolCorruption[];
}

interface PendingSend {
  readonly n: number;
  readonly event: CloudEvent;
  spooled: boolean;
  readonly settle: (outcome: RecordOutcome) => void;
}

interface Generation {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  metrics?: ProducerMetrics;
  ready: boolean;
  stderr: string;
}

const COUNTERS = ['sent', 'retried', 'throttled', 'givenUp', 'recovered', 'spoolCorruptTails'] as const;

export class ProducerProcess {
  readonly mode = 'spool' as const;
  private current: Generation | undefined;
  private readonly pending = new Map<number, PendingSend>();
  private nextN = 0;
  private readonly dead: ProducerMetrics[] = [];
  private counters = { crashes: 0, recoveredOnRestart: 0, resentUnconfirmed: 0, duplicateDeliveries: 0 };
  private readonly corruption: SpoolCorruption[] = [];
  private peakSpooled = 0;
  private starting: Promise<void> = Promise.resolve();
  private waiters: Array<{ type: FromChild['type']; resolve: (m: FromChild) => void }> = [];

  private constructor(private readonly options: ProducerProcessOptions) {}

  static async start(options: ProducerProcessOptions): Promise<ProducerProcess> {
    const producer = new ProducerProcess(options);
    await producer.spawn();
    return producer;
  }

  /** Hands the event to the child (or keeps it for the next one while none runs); the outcome settles when Kinesis acknowledged it. */
  send(event: CloudEvent): Promise<{ readonly outcome: Promise<RecordOutcome> }> {
    const n = ++this.nextN;
    const outcome = new Promise<RecordOutcome>((settle) => this.pending.set(n, { n, event, spooled: false, settle }));
    if (this.current?.ready) this.tellChild({ type: 'send', n, event });
    return Promise.resolve({ outcome });
  }

  /** Kills the child with SIGKILL, as a crash would: nothing is flushed, nothing is closed. */
  async crash(): Promise<void> {
    const generation = this.current;
    if (!generation) return;
    this.current = undefined;
    generation.child.kill('SIGKILL');
    await generation.exited;
    if (generation.metrics) this.dead.push(generation.metrics);
    this.counters.crashes++;
  }

  /** A new child on the same spool: it sends what the spool holds, then the sends no child confirmed. */
  restart(): Promise<void> {
    return this.spawn();
  }

  /** Resolves when the latest start (or restart) is done, whether it succeeded or not. */
  whenStarted(): Promise<void> {
    return this.starting.catch(() => undefined);
  }

  /** Resolves when the child delivered everything handed to it and every outcome arrived. */
  async flush(): Promise<void> {
    if (!this.current) return;
    const flushed = this.next('flushed');
    this.tellChild({ type: 'flush' });
    await flushed;
    for (let i = 0; i < 50 && this.pending.size > 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
  }

  /** Flushes and stops the child (its spool closed cleanly). */
  async close(): Promise<void> {
    const generation = this.current;
    if (!generation) return;
    const closed = this.next('closed');
    this.tellChild({ type: 'close' });
    await Promise.race([closed, generation.exited]);
    await generation.exited;
    if (generation.metrics) this.dead.push(generation.metrics);
    this.current = undefined;
    if (this.options.removeSpoolOnClose && this.pending.size === 0) rmSync(this.options.spoolDirectory, { recursive: true, force: true });
  }

  /** The children's metrics: counters summed over every child, gauges of the running one. */
  metrics(): ProducerMetrics {
    const live = this.current?.metrics;
    const base: ProducerMetrics = live ?? { sent: 0, retried: 0, throttled: 0, givenUp: 0, buffered: 0, spooled: 0, oldestUnacknowledgedAgeMs: 0, spoolBytes: 0, recovered: 0, spoolCorruptTails: 0 };
    const summed = Object.fromEntries(COUNTERS.map((key) => [key, this.dead.reduce((n, m) => n + m[key], live?.[key] ?? 0)]));
    return { ...base, ...summed };
  }

  get processCounters(): ProducerProcessCounters {
    return { ...this.counters, handedOver: this.nextN, peakSpooled: this.peakSpooled, corruption: [...this.corruption] };
  }

  /** The running child's pid (undefined between a crash and a restart). */
  get pid(): number | undefined {
    return this.current?.child.pid;
  }

  private spawn(): Promise<void> {
    const { env, removeSpoolOnClose: _remove, ...childOptions } = this.options;
    const child = fork(CHILD, [JSON.stringify(childOptions)], { execArgv: TSX, env: env ?? process.env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    const generation: Generation = { child, ready: false, stderr: '', exited: new Promise((resolve) => child.once('exit', () => resolve())) };
    child.stderr?.on('data', (chunk: Buffer) => (generation.stderr = (generation.stderr + chunk.toString()).slice(-2000)));
    this.current = generation;
    this.starting = new Promise<void>((resolve, reject) => {
      child.on('message', (message: FromChild) => {
        this.onMessage(generation, message);
        if (message.type === 'ready') resolve();
        if (message.type === 'closed' && message.error && !generation.ready) reject(new ScenarioError(`the producer process did not start: ${message.error}`));
      });
      void generation.exited.then(() => {
        if (!generation.ready) reject(new ScenarioError(`the producer process exited before it was ready: ${generation.stderr.trim().slice(-500)}`));
      });
    });
    return this.starting;
  }

  private onMessage(generation: Generation, message: FromChild): void {
    switch (message.type) {
      case 'ready': {
        generation.ready = true;
        if (this.counters.crashes > 0) this.counters.recoveredOnRestart += message.recovered;
        this.corruption.push(...message.corruption);
        // What no child confirmed as spooled goes to this one, in the original order.
        for (const send of [...this.pending.values()].filter((s) => !s.spooled)) {
          if (this.counters.crashes > 0) this.counters.resentUnconfirmed++;
          this.tellChild({ type: 'send', n: send.n, event: send.event });
        }
        break;
      }
      case 'spooled': {
        const send = this.pending.get(message.n);
        if (send) send.spooled = true;
        break;
      }
      case 'rejected':
        this.settle(this.pending.get(message.n), { ok: false, reason: message.error, attempts: 0 });
        break;
      case 'outcome': {
        // A recovered event is known by its id only: the oldest unsettled send of that id is the one.
        const send = message.n !== undefined ? this.pending.get(message.n) : [...this.pending.values()].find((s) => s.event.id === message.id);
        if (send) this.settle(send, message.outcome);
        else this.counters.duplicateDeliveries++;
        break;
      }
      case 'metrics':
        generation.metrics = message.metrics;
        this.peakSpooled = Math.max(this.peakSpooled, message.metrics.spooled);
        break;
      default:
        break;
    }
    const waiting = this.waiters.filter((w) => w.type === message.type);
    this.waiters = this.waiters.filter((w) => w.type !== message.type);
    waiting.forEach((w) => w.resolve(message));
  }

  private settle(send: PendingSend | undefined, outcome: RecordOutcome): void {
    if (!send) return;
    this.pending.delete(send.n);
    send.settle(outcome);
  }

  private next(type: FromChild['type']): Promise<FromChild> {
    return new Promise((resolve) => this.waiters.push({ type, resolve }));
  }

  private tellChild(message: ToChild): void {
    const child = this.current?.child;
    if (child?.connected) child.send(message);
  }
}
