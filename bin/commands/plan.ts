/** `plan`: capacity and monthly cost of the configured pipelines for an expected load (lib/plan). Offline. */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { loadConfig } from '../../lib/config';
import { LOAD_PARAMETERS, LoadError, parseLoadValue, parsePipelineSelection, planPipelines, type CostLine, type LoadOverrides, type PipelinePlan, type PipelineSelection, type Plan } from '../../lib/plan';
import { printJson, printTable, UsageError } from './common';

interface PlanOptions extends Record<string, unknown> {
  readonly pipeline: PipelineSelection[];
  readonly json?: boolean;
}

/** Commander's camelCase of an option key. */
const attribute = (key: string): string => key.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

const asUsage = <T>(parse: () => T): T => {
  try {
    return parse();
  } catch (error) {
    if (error instanceof LoadError) throw new InvalidArgumentError(error.message);
    throw error;
  }
};

export function registerPlan(program: Command): void {
  const command = program
    .command('plan')
    .description('capacity (shards, parallelization, concurrency) and monthly cost of each configured pipeline for an expected load; offline, prices of us-east-1')
    .addOption(
      new Option('-p, --pipeline <name[:key=value,...]>', 'plan this pipeline (repeatable), with its own load, e.g. orders:peak=2000,consumer=efo')
        .argParser((text: string, all: PipelineSelection[]) => [...all, asUsage(() => parsePipelineSelection(text))])
        .default([], 'every pipeline'),
    )
    .option('--json', 'print JSON');
  for (const parameter of LOAD_PARAMETERS) {
    command.option(`--${parameter.key} <value>`, `${parameter.description} (default: ${parameter.defaultText})`, (text: string) => asUsage(() => parseLoadValue(parameter.key, text)));
  }
  command
    .addHelpText(
      'after',
      `\nKeys of --pipeline overrides: ${LOAD_PARAMETERS.map((p) => p.key).join(', ')}.\n\nExamples:\n  $ stream-pipeline plan\n  $ stream-pipeline plan --peak 2000 --mean 400 --record-bytes 1024\n  $ stream-pipeline plan --pipeline orders:peak=5000,consumer=efo --json`,
    )
    .action((options: PlanOptions) => {
      const load: LoadOverrides = Object.assign({}, ...LOAD_PARAMETERS.map((p) => (options[attribute(p.key)] as LoadOverrides | undefined) ?? {}));
      let plan: Plan;
      try {
        plan = planPipelines(loadConfig(), { load, pipelines: options.pipeline });
      } catch (error) {
        if (error instanceof LoadError || (error instanceof Error && /^Unknown pipeline/.test(error.message))) throw new UsageError(error.message);
        throw error;
      }
      if (options.json) printJson(plan);
      else printPlan(plan);
    });
}

const usd = (x: number): string => (x === 0 ? '$0' : x < 0.01 ? '<$0.01' : `$${x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`);
const num = (x: number, digits = 2): string => x.toLocaleString('en-US', { maximumFractionDigits: digits });
const price = (x: number): string => `$${x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 10 })}`;

function costRows(lines: readonly CostLine[]): string[][] {
  return lines.map((l) => [l.service, l.item, num(l.quantity, 4), price(l.unitUsd), usd(l.monthlyUsd), l.unit]);
}

function printPipeline(p: PipelinePlan): void {
  const { load, capacity: c } = p;
  const shards = c.mode === 'PROVISIONED' ? `${c.shards} shards (configured ${c.configuredShards})` : `~${c.shards} shards (on-demand estimate)`;
  process.stdout.write(
    [
      `${p.name} (${p.action})`,
      `  load       peak ${num(load.peakEventsPerSecond)}/s, mean ${num(load.meanEventsPerSecond)}/s, ${num(load.recordBytes)} B records, ${load.retentionHours} h retention, ${load.consumer}, ${num(load.duplicateFraction * 100)}% duplicates, ${num(load.poisonFraction * 100)}% poison`,
      `  capacity   ${c.mode}, ${shards}, ${num(c.shardsForWrites)} for the peak's writes; parallelization factor ${c.parallelizationFactor.configured} configured, ${c.parallelizationFactor.needed} needed; concurrency ${c.concurrency}; peak slot utilisation ${num(c.peakSlotUtilisation * 100, 1)}%`,
      `  processing ${num(c.processing.freshMsPerRecord, 3)} ms per new record, ${num(c.processing.duplicateMsPerRecord, 3)} ms per duplicate (${c.processing.basis})`,
      `  mean batch ${num(c.meanBatch.records, 1)} records, ${num(c.meanBatch.invocationsPerSecond, 2)} invocations/s, ${num(c.meanBatch.durationMs, 1)} ms`,
      `  latency    floor ${num(c.latencyFloorMs, 0)} ms, objective ${num(c.latencyObjectiveMs, 0)} ms`,
      '',
    ].join('\n'),
  );
  printTable(['SERVICE', 'ITEM', 'QUANTITY', 'UNIT PRICE', 'MONTHLY', 'UNIT'], [...costRows(p.costs), ['', 'total', '', '', usd(p.monthlyUsd), '']]);
  process.stdout.write('\n');
}

function printPlan(plan: Plan): void {
  process.stdout.write(`Capacity and monthly cost, ${plan.region}, ${plan.currency}, prices checked ${plan.pricesCheckedOn}\n\n`);
  for (const p of plan.pipelines) printPipeline(p);
  process.stdout.write('stack (once)\n');
  printTable(['SERVICE', 'ITEM', 'QUANTITY', 'UNIT PRICE', 'MONTHLY', 'UNIT'], costRows(plan.shared));
  process.stdout.write(`\nTotal: ${usd(plan.monthlyUsd)} a month; concurrency ${plan.concurrency}.\n`);
  if (plan.warnings.length > 0) {
    process.stdout.write(`\nWarnings:\n${plan.warnings.map((w) => `  ! ${w.pipeline ? `${w.pipeline}: ` : ''}${w.message} [${w.code}]`).join('\n')}\n`);
  }
  process.stdout.write(`\nAssumptions:\n${plan.assumptions.map((a) => `  - ${a}`).join('\n')}\n`);
}
