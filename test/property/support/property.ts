/**
 * One property test: scenarios from an arbitrary, each run against the real processor of a shared
 * pipeline (its tables) with a dead-letter queue (and alerts topic) of its own, judged by the
 * delivery oracle and the action's oracle. A failure lists every violation of the contract found,
 * and fast-check prints the seed, the path and the shrunk scenario to replay it.
 */
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import * as fc from 'fast-check';
import { createObservedTopic, createQueue, deleteQueue, uniqueName } from '../../processor/support/aws';
import type { TestPipeline } from '../../processor/support/pipeline';
import { judgeDelivery, type DeliveryVerdict } from '../oracles/delivery';
import { deliver, type Delivery } from './deliver';
import { Materializer, type SentBatch } from './materialize';
import { readDeadLetters, readPublished } from './observe';
import type { Scenario } from './plan';
import type { ActionProfile } from '../arbitraries/profile';
import { scenarios, type ClassWeights } from '../arbitraries/scenario';
import { fuzzParameters, maxBatchRecords, shrinkBudgetMs, skippedBy } from './settings';

export interface ScenarioRun {
  readonly batches: readonly SentBatch[];
  readonly delivery: Delivery;
  readonly verdict: DeliveryVerdict;
  /** Bodies published on the alerts topic (telemetry). */
  readonly published: readonly string[];
}

/** The action's half of the oracle. */
export type ActionJudge = (run: ScenarioRun) => Promise<string[]>;

const MAX_LISTED_VIOLATIONS = 25;

export class ContractViolation extends Error {
  constructor(violations: readonly string[]) {
    const listed = violations.slice(0, MAX_LISTED_VIOLATIONS).map((v) => `  - ${v}`);
    const more = violations.length > MAX_LISTED_VIOLATIONS ? [`  … and ${violations.length - MAX_LISTED_VIOLATIONS} more`] : [];
    super([`${violations.length} violation(s) of the processor's contract:`, ...listed, ...more].join('\n'));
    this.name = 'ContractViolation';
  }
}

/** Runs one scenario; throws ContractViolation listing what went wrong. */
export async function runScenario(pipeline: TestPipeline, scenario: Scenario, judge: ActionJudge, options: { withTopic?: boolean } = {}): Promise<void> {
  const deadLetterQueueUrl = await createQueue(uniqueName('fuzz-dlq'));
  const topic = options.withTopic ? await createObservedTopic(uniqueName('fuzz-alerts')) : undefined;
  try {
    const metricLines: string[] = [];
    const handler = pipeline.processor({
      settings: { deadLetterQueueUrl, ...(topic ? { alertsTopicArn: topic.topicArn } : {}) },
      metricsWriter: (line) => metricLines.push(line),
    });
    const batches = new Materializer(randomUUID().slice(0, 8), Date.now()).scenario(scenario);
    const delivery = await deliver(handler, metricLines, batches);
    const verdict = judgeDelivery(batches, delivery, await readDeadLetters(deadLetterQueueUrl));
    const published = topic ? await readPublished(topic.queueUrl) : [];
    const violations = [...verdict.violations, ...(await judge({ batches, delivery, verdict, published }))];
    if (violations.length > 0) throw new ContractViolation(violations);
  } finally {
    await Promise.all([deleteQueue(deadLetterQueueUrl), topic?.cleanup()]);
  }
}

export interface PropertyOptions {
  /** At least this many consecutive batches. Default 1. */
  readonly minBatches?: number;
  /** Deliver batches again after they succeeded. Default false. */
  readonly redeliveries?: boolean;
  /** Another judge for this property (e.g. one that also compares stored details). */
  readonly judge?: ActionJudge;
}

/**
 * `property(name, mix, options)` for one action: scenarios of that mix (batches of up to
 * FUZZ_MAX_BATCH records, up to three batches) against `pipeline`, judged by `judge`.
 */
export function propertiesOf(profile: ActionProfile, pipeline: () => TestPipeline, judge: ActionJudge, options: { withTopic?: boolean } = {}) {
  return (name: string, mix: ClassWeights, property: PropertyOptions = {}): void =>
    scenarioProperty(
      `${profile.name}: ${name}`,
      pipeline,
      scenarios(profile, mix, { maxRecords: maxBatchRecords(), maxBatches: 3, minBatches: property.minBatches ?? 1, redeliveries: property.redeliveries ?? false }),
      property.judge ?? judge,
      options,
    );
}

/** A node:test test asserting that every scenario of `scenarios` keeps the contract. */
export function scenarioProperty(name: string, pipeline: () => TestPipeline, scenarios: fc.Arbitrary<Scenario>, judge: ActionJudge, options: { withTopic?: boolean } = {}): void {
  test(name, { skip: skippedBy(name) ?? false }, async () => {
    const budgetMs = shrinkBudgetMs();
    let firstFailureAt: number | undefined;
    await fc.assert(
      fc.asyncProperty(scenarios, async (scenario) => {
        // Each run costs real DynamoDB and SQS calls: once the shrink budget is spent, skip the
        // remaining candidates (cheap), and fast-check reports the smallest failure found so far.
        fc.pre(firstFailureAt === undefined || Date.now() - firstFailureAt < budgetMs);
        try {
          await runScenario(pipeline(), scenario, judge, options);
        } catch (error) {
          firstFailureAt ??= Date.now();
          throw error;
        }
      }),
      fuzzParameters(name),
    );
  });
}
