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

process.stdout.write(
  [
    '## Configuration reference',
    '',
    configReferenceMarkdown(),
    '',
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
