#!/usr/bin/env node
/**
 * Prints the README sections generated from code: the configuration reference (from the zod schema
 * and its comments) and the alarms table (from the alarm specs), so the docs say what the code does.
 *
 *   npx tsx bin/stack-docs.ts [pipeline]   # alarm values shown for that pipeline (default: the first)
 */
import { findPipeline, loadConfig, pipelineResourceNames } from '../lib/config';
import { configReferenceMarkdown } from '../lib/config/reference';
import { pipelineAlarmSpecs, type AlarmSpec, type WatchedMetric } from '../lib/constructs/alarm-specs';
import { batchingBudget, CONSUMER_MODES, FLOOR_SHARE_OF_OBJECTIVE, FULL_BATCH_SHARE_OF_OBJECTIVE, HOURS_PER_MONTH, PRICE_TABLE, type PriceId } from '../lib/plan';

const config = loadConfig();
const pipeline = process.argv[2] ? findPipeline(config, process.argv[2]) : config.pipelines[0]!;
const specs = pipelineAlarmSpecs({
  pipeline,
  names: pipelineResourceNames(config.stackName, pipeline.name),
  eventSourceMappingUuid: '<mapping UUID>',
});

const cell = (text: string): string => text.replace(/\|/g, '\\|');
const dimensions = (metric: WatchedMetric): string =>
  Object.entries(metric.dimensions)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
const metricCell = (metric: WatchedMetric): string => `\`${metric.namespace}\` \`${metric.metricName}\` ${metric.statistic} (${cell(dimensions(metric))})`;
const watches = (spec: AlarmSpec): string =>
  spec.math
    ? `metric math \`${cell(spec.math.expression)}\` where ${Object.entries(spec.math.metrics)
        .map(([id, metric]) => `\`${id}\` = ${metricCell(metric)}`)
        .join(', ')}`
    : metricCell(spec);
const fires = (spec: AlarmSpec): string =>
  spec.datapointsToAlarm === 1 ? `any of ${spec.evaluationPeriods} × ${spec.periodSeconds} s` : `${spec.datapointsToAlarm} of ${spec.evaluationPeriods} × ${spec.periodSeconds} s`;

const row = (s: AlarmSpec): string =>
  `| \`${s.alarmName}\` | ${watches(s)} | ${cell(s.thresholdText)}; ${fires(s)} | ${cell(s.meaning)} | ${s.firstChecks
    .map((c, i) => `${i + 1}. ${cell(c)}`)
    .join('<br>')} | ${s.treatMissingData}: ${cell(s.missingDataReason)} |`;
const windowed = config.pipelines.find((p) => p.windows !== undefined);
const windowedRows = windowed
  ? pipelineAlarmSpecs({ pipeline: windowed, names: pipelineResourceNames(config.stackName, windowed.name), eventSourceMappingUuid: '<mapping UUID>' })
      .filter((s) => !specs.some((base) => base.kind === s.kind))
      .map(row)
  : [];

const alarmRows = specs.map(
  (s) =>
    `| \`${s.alarmName}\` | ${watches(s)} | ${cell(s.thresholdText)}; ${fires(s)} | ${cell(s.meaning)} | ${s.firstChecks
      .map((c, i) => `${i + 1}. ${cell(c)}`)
      .join('<br>')} | ${s.treatMissingData}: ${cell(s.missingDataReason)} |`,
);

/** The enhanced fan-out prices, from the one price table `plan` uses (lib/plan/prices.ts). */
const EFO_PRICES: readonly PriceId[] = ['kinesisEfoConsumerShardHour', 'kinesisEfoRetrievalGb', 'kinesisOnDemandEfoRetrievalGb', 'kinesisOnDemandRetrievalGb'];
const prices = PRICE_TABLE.prices;
const efoCost = [
  '### Enhanced fan-out: what it costs',
  '',
  `\`eventSource.consumer: efo\` adds these charges (list prices of ${PRICE_TABLE.region}, ${PRICE_TABLE.currency}; without ${cell(PRICE_TABLE.excludes)}); the last row is what polling pays instead:`,
  '',
  '| price | USD | unit | source | read from | checked on |',
  '|---|---|---|---|---|---|',
  ...EFO_PRICES.map((id) => {
    const p = prices[id];
    return `| \`${id}\` | ${p.usd} | ${cell(p.unit)} | ${p.source} | ${cell(p.readFrom.join('; '))} | ${p.checkedOn} |`;
  }),
  '',
  `One consumer on a provisioned shard costs ${HOURS_PER_MONTH} h × $${prices.kinesisEfoConsumerShardHour.usd} = $${(HOURS_PER_MONTH * prices.kinesisEfoConsumerShardHour.usd).toFixed(2)} a month before any data; every GB it reads adds $${prices.kinesisEfoRetrievalGb.usd} (provisioned) or $${prices.kinesisOnDemandEfoRetrievalGb.usd} instead of polling's $${prices.kinesisOnDemandRetrievalGb.usd} (on-demand). \`npx stream-pipeline plan\` prices a pipeline in the mode it is configured with (\`--consumer\` or \`--pipeline <name>:consumer=...\` to compare).`,
  '',
];

const batchingRows = config.pipelines.map((p) => {
  const b = batchingBudget(p);
  const s = p.eventSource;
  return `| \`${p.name}\` | ${b.objectiveMs} ms | ${s.consumer} (${b.deliveryMs} ms) | ${s.batchSize} (≤ ${b.maxBatchSize}: ${b.msPerRecord} ms/record) | ${s.maxBatchingWindowSeconds} s (≤ ${b.maxWindowSeconds} s) | ${Math.round(b.floorMs)} ms = ${b.deliveryMs} + ${s.maxBatchingWindowSeconds * 1000} + ${Math.round(b.fullBatchMs)} |`;
});
const batching = [
  '### Batching chosen for the objective',
  '',
  `Each example pipeline's \`batchSize\` and \`maxBatchingWindowSeconds\` follow from its \`alarms.latencyObjectiveMs\` (\`lib/plan/batching.ts\`). One event's latency floor is delivery (${CONSUMER_MODES.polling.label}: ${CONSUMER_MODES.polling.deliveryMs} ms; ${CONSUMER_MODES.efo.label}: ${CONSUMER_MODES.efo.deliveryMs} ms) + the batching window + the processing of a full batch (the processor benchmark's time per record). The floor may take ${FLOOR_SHARE_OF_OBJECTIVE * 100}% of the objective: the other half is left to what the floor does not hold (a retried batch, a cold start, a batch waiting for its slot). A full batch may take ${FULL_BATCH_SHARE_OF_OBJECTIVE * 100}% of it, which bounds \`batchSize\`; within that bound a larger batch only saves invocations. The window is the largest whole second that keeps the floor within its share: a window saves invocations at low traffic, never latency, and with polling a batch already gathers about a second of records. A window that alone reaches the objective is refused by the schema.`,
  '',
  '| pipeline | objective (p99) | consumer (delivery) | batchSize (bound) | window (bound) | floor |',
  '|---|---|---|---|---|---|',
  ...batchingRows,
  '',
];

process.stdout.write(
  [
    '## Configuration reference',
    '',
    configReferenceMarkdown(),
    '',
    ...efoCost,
    ...batching,
    `## Alarms (values shown for \`${pipeline.name}\`)`,
    '',
    '| alarm | metric | fires when | meaning | first response | missing data |',
    '|---|---|---|---|---|---|',
    ...alarmRows,
    '',
    ...(windowed
      ? [
          `Windowed pipelines add two alarms (values shown for \`${windowed.name}\`):`,
          '',
          '| alarm | metric | fires when | meaning | first response | missing data |',
          '|---|---|---|---|---|---|',
          ...windowedRows,
          '',
        ]
      : []),
  ].join('\n'),
);
