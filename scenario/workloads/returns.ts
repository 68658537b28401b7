/**
 * The `returns` workload: order returns over many SKUs (the baseline), then a spike on one SKU, with
 * events put late within the allowed lateness, events put too late, out-of-order events, producer
 * duplicates, and one shard of the stream left idle for the second half of the load.
 *
 * Event time is the wall clock (as a producer stamps it), so the pipeline's latency figures stay true;
 * the windows are short instead: on the target, the returns function runs the configured windows on the
 * scenario's scale (SCENARIO_WINDOWS, set over the template through `functionEnvironment`). The workload
 * reads the windows and the spike rule from the deployed function itself, so it judges what runs.
 *
 * Its judge (./returns-judge.ts): every window's count equals the valid events put inside it, the spike
 * alerted once mid-window and nothing else alerted, every too-late event is accounted for. Alerts are
 * read as an operations team would: an SQS queue subscribed to the pipeline's alerts topic.
 */
import { createHash } from 'node:crypto';
import { GetFunctionCommand } from '@aws-sdk/client-lambda';
import { ListShardsCommand } from '@aws-sdk/client-kinesis';
import { ProcessorEnv } from '../../lambdas/shared/environment';
import { PoisonReason } from '../../lambdas/shared/dlq-message';
import { ProcessorMetric } from '../../lambdas/shared/metrics-contract';
import { ReturnEventType, SPIKE_ALERT_KIND, type SpikeAlert } from '../../lambdas/shared/returns-events';
import { parseSpikeConfig, parseWindowsConfig, spikeThreshold, windowsSchema, type WindowsConfig } from '../../lambdas/shared/windows-config';
import type { PipelineConfig } from '../../lib/config';
import { deleteMessages, queueUrlOf, receiveMessages } from '../../client/operations/dlq-queue';
import { createKinesisClient } from '../../sdk/clients';
import { readMetricSum } from '../aws/cloudwatch';
import { tapTopic, topicArnOf } from '../aws/control';
import { readDlq } from '../aws/stores';
import { readPipelineWatermark, readWindows } from '../aws/windows';
import { TargetStateError } from '../errors';
import { eventFactory } from './events';
import { returnsJudge, type ReceivedSpikeAlert, type ReturnsPlanFacts, type WindowTiming } from './returns-judge';
import { withDuplicates, type PlannedSend, type WorkloadDefinition } from './workload';

/**
 * The returns pipeline's windows in `npm start` (seconds): the configured ones' shape (key, sums, top
 * field) with times a run of a minute can show: 10 s tumbling windows; 2 s out of order; late events
 * still count for 20 s (longer than the consumer outage, so its backlog is not too late); a shard silent
 * for 10 s stops holding the watermark back.
 */
export const SCENARIO_WINDOWS = { sizeSeconds: 10, outOfOrderSeconds: 2, allowedLatenessSeconds: 20, idleTimeoutSeconds: 10 } as const;

/** The windows the returns function runs with in the scenario, validated like the configured ones. */
export function scenarioWindows(pipeline: PipelineConfig): WindowsConfig {
  const { slideSeconds: _tumblingHere, ...configured } = pipeline.windows ?? {};
  return windowsSchema.parse({ ...configured, ...SCENARIO_WINDOWS });
}

export interface ReturnEventData {
  readonly orderId: string;
  readonly sku: string;
  readonly reason: string;
  readonly amount: number;
}

const REASONS = ['damaged', 'wrong-size', 'not-as-described', 'changed-mind', 'late-delivery'] as const;
/** Events put too late in a run (spread over the load once the watermark allows). */
const TOO_LATE_EVENTS = 6;
/** The idle shard gets no new SKU traffic from this share of the load on. */
const IDLE_FROM = 0.45;
/** A baseline SKU's mean count per window, as a share of the spike rule's minimum volume: far below it. */
const BASELINE_SHARE_OF_MINIMUM = 0.2;

/** Where Kinesis puts a partition key: MD5 as a 128-bit integer, in a shard's hash key range. */
export function hashKeyOf(partitionKey: string): bigint {
  return BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`);
}

interface ShardRange {
  readonly shardId: string;
  readonly from: bigint;
  readonly to: bigint;
}

async function openShards(streamName: string): Promise<ShardRange[]> {
  const kinesis = createKinesisClient();
  try {
    const shards: ShardRange[] = [];
    let NextToken: string | undefined;
    do {
      const out = await kinesis.send(new ListShardsCommand(NextToken ? { NextToken } : { StreamName: streamName }));
      for (const s of out.Shards ?? []) {
        if (!s.ShardId || s.SequenceNumberRange?.EndingSequenceNumber !== undefined || !s.HashKeyRange?.StartingHashKey || !s.HashKeyRange.EndingHashKey) continue;
        shards.push({ shardId: s.ShardId, from: BigInt(s.HashKeyRange.StartingHashKey), to: BigInt(s.HashKeyRange.EndingHashKey) });
      }
      NextToken = out.NextToken;
    } while (NextToken);
    return shards;
  } finally {
    kinesis.destroy();
  }
}

/** The windows and spike rule the deployed function runs with (its environment). */
async function deployedRules(input: Parameters<WorkloadDefinition['start']>[0]) {
  const functionName = input.names.functionName;
  if (!functionName) throw new TargetStateError('the returns workload needs the function name');
  const { Configuration } = await input.clients.lambda.send(new GetFunctionCommand({ FunctionName: functionName }));
  const variables = Configuration?.Environment?.Variables ?? {};
  const windowsJson = variables[ProcessorEnv.WindowsConfig];
  const spikeJson = variables[ProcessorEnv.SpikeConfig];
  if (!windowsJson || !spikeJson) throw new TargetStateError(`${functionName} has no ${ProcessorEnv.WindowsConfig} or ${ProcessorEnv.SpikeConfig}`);
  return { windows: parseWindowsConfig(windowsJson), spike: parseSpikeConfig(spikeJson) };
}

export const returnsWorkload: WorkloadDefinition = {
  action: 'returns',
  eventType: ReturnEventType.Returned,
  entityLabel: 'window',
  functionEnvironment: (pipeline) => ({ [ProcessorEnv.WindowsConfig]: JSON.stringify(scenarioWindows(pipeline)) }),
  async start(input) {
    const { pipeline, runId, random, rates, loadMs, names, clients } = input;
    const { windows, spike } = await deployedRules(input);
    const timing: WindowTiming = {
      sizeMs: windows.sizeSeconds * 1000,
      latenessMs: windows.allowedLatenessSeconds * 1000,
      outOfOrderMs: windows.outOfOrderSeconds * 1000,
      idleMs: windows.idleTimeoutSeconds * 1000,
    };
    const S = timing.sizeMs;
    if (windows.slideSeconds !== undefined && windows.slideSeconds !== windows.sizeSeconds) throw new TargetStateError('the returns workload judges tumbling windows only');
    if (loadMs < 3 * S) throw new TargetStateError(`the returns function runs ${windows.sizeSeconds} s windows: the load must last at least three of them (${(3 * S) / 1000} s)`);
    if (!names.streamName || !names.dlqName) throw new TargetStateError('the returns workload needs the stream and DLQ names');

    const shards = await openShards(names.streamName);
    const rate = input.ratePerSecond ?? 20;
    const skuCount = Math.max(20, Math.ceil((rate * windows.sizeSeconds) / (spike.minimumVolume * BASELINE_SHARE_OF_MINIMUM)));
    const shardOf = (key: string): string | undefined => shards.find((s) => s.from <= hashKeyOf(key) && hashKeyOf(key) <= s.to)?.shardId;
    // With two shards or more, the last one is left idle for the second half of the load.
    const idleShard = shards.length >= 2 ? shards[shards.length - 1]!.shardId : undefined;
    const skus = Array.from({ length: skuCount }, (_, i) => `sku-${runId}-${String(i + 1).padStart(3, '0')}`);
    const busySkus = skus.filter((sku) => shardOf(sku) !== idleShard);
    if (busySkus.length === 0) throw new TargetStateError('no SKU falls on a shard other than the idle one');
    const spikeSku = busySkus[0]!;
    const baselineMean = (rate * windows.sizeSeconds) / skuCount;
    const spikeEvents = 2 * Math.ceil(spikeThreshold(spike, baselineMean));

    const newEvent = eventFactory(pipeline.name, runId);
    const returned = (sku: string, timeMs: number, reason: string = random.pick(REASONS)) =>
      newEvent<ReturnEventData>(ReturnEventType.Returned, sku, timeMs, { orderId: `order-${runId}-${random.int(1, 1_000_000)}`, sku, reason, amount: random.int(500, 20_000) / 100 });

    let loadStart: number | undefined;
    let spikeWindowStart = 0;
    let spikeSent = 0;
    let lateDebt = 0;
    let tooLateSent = 0;
    let nextTooLateAt = 0;
    let idleShardLastEvent = Number.NEGATIVE_INFINITY;
    const tooLateIds = new Set<string>();
    const lateIds = new Set<string>();
    /** Window start → SKUs with a counted event in it (too-late events go to windows that had traffic). */
    const skusByWindow = new Map<number, Set<string>>();
    /** `<sku> <window start>` → counted events put: a baseline SKU is kept far below the minimum volume. */
    const perWindow = new Map<string, number>();
    const baselineCap = Math.max(1, Math.floor(spike.minimumVolume / 2));
    /** A SKU of `from` for an event at `timeMs` whose window stays under the cap (the spiking SKU's too). */
    const pickSku = (from: readonly string[], timeMs: number): string => {
      const start = Math.floor(timeMs / S) * S;
      for (let attempt = 0; attempt < 50; attempt++) {
        const sku = random.pick(from);
        if ((perWindow.get(`${sku} ${start}`) ?? 0) < baselineCap) return sku;
      }
      return from.find((sku) => (perWindow.get(`${sku} ${start}`) ?? 0) < baselineCap) ?? random.pick(from);
    };
    const watermarks: { at: number; watermark: number }[] = [];
    const alerts: ReceivedSpikeAlert[] = [];

    const sampler = setInterval(() => {
      readPipelineWatermark(clients.dynamodb, names.stateTableName).then(
        (watermark) => {
          if (watermark !== undefined) watermarks.push({ at: Date.now(), watermark });
        },
        () => undefined,
      );
    }, 1000);
    sampler.unref();

    const topicArn = await topicArnOf(clients.sns, names.alertsTopicName);
    const tap = await tapTopic(clients.sns, clients.sqs, topicArn, `scenario-${runId}-${pipeline.name}-alerts`);
    const dlqUrl = await queueUrlOf(clients.sqs, names.dlqName);

    const counted = (send: PlannedSend): PlannedSend => {
      const sku = send.event.subject ?? '';
      const time = Date.parse(send.event.time ?? '');
      const start = Math.floor(time / S) * S;
      skusByWindow.set(start, (skusByWindow.get(start) ?? new Set()).add(sku));
      perWindow.set(`${sku} ${start}`, (perWindow.get(`${sku} ${start}`) ?? 0) + 1);
      if (shardOf(sku) === idleShard) idleShardLastEvent = Math.max(idleShardLastEvent, time);
      return send;
    };

    const facts = (): ReturnsPlanFacts => ({
      timing,
      spike,
      spikeSku,
      spikeWindowStart,
      tooLateIds,
      lateIds,
      ...(idleShard && loadStart !== undefined && Number.isFinite(idleShardLastEvent) ? { idleShard: { shardId: idleShard, lastEventTime: idleShardLastEvent, idleUntil: loadStart + loadMs } } : {}),
      // The closer runs on the target's schedule and the watermark is written every few seconds.
      closeSlackMs: 15_000,
    });

    return {
      create(nowMs, count) {
        const wall = Date.now();
        if (loadStart === undefined) {
          loadStart = wall - nowMs;
          // The spike's window: the one holding the moment two windows before the load ends, so it closes within the run.
          spikeWindowStart = Math.floor((loadStart + loadMs - 2 * S) / S) * S;
        }
        const active = nowMs >= loadMs * IDLE_FROM ? busySkus : skus;
        const sends: PlannedSend[] = [];
        for (let i = 0; i < count; i++) {
          const sku = pickSku(active, wall);
          if (random.chance(rates.outOfOrder)) {
            sends.push(counted({ atMs: nowMs, event: returned(sku, wall - random.int(1, Math.max(1, timing.outOfOrderMs - 200))), injected: 'out-of-order' }));
          } else if (random.chance(rates.late)) {
            lateDebt += 1;
          } else {
            sends.push(counted({ atMs: nowMs, event: returned(sku, wall) }));
          }
        }
        // Late within the lateness: in the window before the current one, once that window ended more than the
        // out-of-order bound ago (the shard's watermark passed its end), and long before its end plus the lateness.
        const intoWindow = wall % S;
        if (lateDebt > 0 && intoWindow > timing.outOfOrderMs + 1000) {
          const previousEnd = wall - intoWindow;
          for (; lateDebt > 0; lateDebt--) {
            const time = previousEnd - random.int(1, S - 1);
            const event = returned(pickSku(active, time), time);
            lateIds.add(event.id);
            sends.push(counted({ atMs: nowMs, event, injected: 'late' }));
          }
        }
        // The spike: a burst on one SKU in the middle of its window, on time.
        const burstFrom = spikeWindowStart + 0.3 * S;
        const burstMs = 0.4 * S;
        if (wall >= burstFrom && spikeSent < spikeEvents) {
          const due = Math.min(spikeEvents, Math.ceil((spikeEvents * (wall - burstFrom)) / burstMs)) - spikeSent;
          for (let i = 0; i < due; i++, spikeSent++) sends.push(counted({ atMs: nowMs, event: returned(spikeSku, Math.min(wall, spikeWindowStart + S - 1), 'damaged') }));
        }
        // Too late: behind a watermark already seen past the window's end plus the lateness (one window more for
        // margin), for a SKU that had returns in that window (or any SKU while no window of the load is final yet).
        const watermark = watermarks.at(-1)?.watermark;
        if (rates.late > 0 && watermark !== undefined && tooLateSent < TOO_LATE_EVENTS && wall >= nextTooLateAt) {
          const end = Math.floor((watermark - timing.latenessMs) / S) * S - S;
          const hadReturns = [...(skusByWindow.get(end - S) ?? [])].filter((sku) => busySkus.includes(sku));
          const event = returned(random.pick(hadReturns.length > 0 ? hadReturns : busySkus), end - random.int(1, S - 1));
          tooLateIds.add(event.id);
          tooLateSent += 1;
          nextTooLateAt = wall + loadMs / (2 * TOO_LATE_EVENTS);
          sends.push({ atMs: nowMs, event, injected: 'late' });
        }
        return withDuplicates(sends, nowMs, random, rates.duplicates);
      },
      async observe() {
        const received = await receiveMessages(clients.sqs, tap.queueUrl, { max: Number.POSITIVE_INFINITY, visibilityTimeoutSeconds: 30 });
        await deleteMessages(clients.sqs, tap.queueUrl, received);
        for (const message of received) {
          const alert = parseSpikeAlert(message.raw, runId);
          if (alert) alerts.push({ ...alert, receivedAt: message.sentAt?.getTime() ?? Date.now() });
        }
        const ours = (key: string) => key.includes(runId);
        const [{ results, open }, dlq] = await Promise.all([readWindows(clients.dynamodb, names.stateTableName, ours), readDlq(clients.sqs, dlqUrl)]);
        const tooLateInDlq = new Map(
          dlq.poison.filter((m) => m.reason === PoisonReason.TooLate && m.event && ours(m.record.partitionKey)).map((m) => [m.event!.id, Date.parse(m.time)] as const),
        );
        const tooLateMetric =
          input.axis && loadStart !== undefined
            ? await readMetricSum(clients.cloudwatch, input.axis, pipeline.name, ProcessorMetric.EventsTooLate, loadStart - 60_000, Date.now()).catch(() => undefined)
            : undefined;
        return returnsJudge(facts(), { results, open, alerts, tooLateInDlq, ...(tooLateMetric !== undefined ? { tooLateMetric } : {}), watermarks: [...watermarks], now: Date.now() });
      },
      async close() {
        clearInterval(sampler);
        await tap.close();
      },
    };
  },
};

/** A spike alert of this run (lambdas/shared/returns-events.ts `SpikeAlert`), else undefined. */
export function parseSpikeAlert(message: string, runId: string): Omit<ReceivedSpikeAlert, 'receivedAt'> | undefined {
  try {
    const alert = JSON.parse(message) as Partial<SpikeAlert>;
    if (alert.kind !== SPIKE_ALERT_KIND || typeof alert.sku !== 'string' || !alert.sku.includes(runId)) return undefined;
    const windowStart = Date.parse(alert.windowStart ?? '');
    if (!Number.isFinite(windowStart) || typeof alert.count !== 'number' || typeof alert.threshold !== 'number' || typeof alert.baseline !== 'number') return undefined;
    return { sku: alert.sku, windowStart, count: alert.count, baseline: alert.baseline, threshold: alert.threshold };
  } catch {
    return undefined;
  }
}
