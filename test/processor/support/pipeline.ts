/**
 * One processor under test: its own idempotency table, state table, DLQ (and alerts topic), created
 * on the emulators, with the real processor wired to them through the same settings the stack sets.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { ActionFactory } from '../../../lambdas/actions/action';
import { createProcessor, defaultClients, type ProcessorDependencies, type ProcessorHandler } from '../../../lambdas/processor/processor';
import type { ProcessorSettings } from '../../../lambdas/processor/settings';
import { createObservedTopic, createQueue, createTable, deleteQueue, deleteTable, uniqueName } from './aws';

export interface TestPipeline {
  readonly settings: ProcessorSettings;
  readonly metricLines: string[];
  /** A processor instance (one "container"); call several for concurrent invocations. */
  processor(overrides?: Partial<Omit<ProcessorDependencies, 'settings'>> & { settings?: Partial<ProcessorSettings> }): ProcessorHandler;
  readonly alertsQueueUrl?: string;
  cleanup(): Promise<void>;
}

export const silentLogger = () => new Logger({ logLevel: 'SILENT' });

export async function createTestPipeline(
  name: string,
  action: ActionFactory,
  options: { withTopic?: boolean; settings?: Partial<ProcessorSettings>; dueIndex?: boolean } = {},
): Promise<TestPipeline> {
  const prefix = uniqueName(name);
  const idempotencyTableName = await createTable(`${prefix}-idempotency`);
  const stateTableName = await createTable(`${prefix}-state`, undefined, { dueIndex: options.dueIndex ?? false });
  const deadLetterQueueUrl = await createQueue(`${prefix}-dlq`);
  const topic = options.withTopic ? await createObservedTopic(`${prefix}-alerts`) : undefined;
  const settings: ProcessorSettings = {
    pipelineName: name,
    idempotencyTableName,
    deadLetterQueueUrl,
    stateTableName,
    ...(topic ? { alertsTopicArn: topic.topicArn } : {}),
    idempotencyTtlSeconds: 48 * 3600,
    leaseSeconds: 60,
    keyConcurrency: 8,
    timeMarginMs: 1000,
    clockSkewAllowanceSeconds: 300,
    ...options.settings,
  };
  const metricLines: string[] = [];
  return {
    settings,
    metricLines,
    ...(topic ? { alertsQueueUrl: topic.queueUrl } : {}),
    processor(overrides = {}) {
      const { settings: settingOverrides, ...deps } = overrides;
      return createProcessor(action, {
        clients: defaultClients(),
        logger: silentLogger(),
        metricsWriter: (line) => metricLines.push(line),
        ...deps,
        settings: { ...settings, ...settingOverrides },
      });
    },
    async cleanup() {
      await Promise.all([deleteTable(idempotencyTableName), deleteTable(stateTableName), deleteQueue(deadLetterQueueUrl), topic?.cleanup()]);
    },
  };
}

/** Clients whose DynamoDB client runs `hook` (with the operation name, e.g. "TransactWriteItems") before each call. */
export function clientsWithDynamoHook(hook: (operation: string) => Promise<void>): ProcessorDependencies['clients'] {
  const raw = new DynamoDBClient({ maxAttempts: 1 });
  raw.middlewareStack.add(
    (next, context) => async (args) => {
      await hook(String(context.commandName).replace(/Command$/, ''));
      return next(args);
    },
    { step: 'initialize', name: 'testHook' },
  );
  return { ...defaultClients(), dynamodb: DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } }) };
}

/** Clients whose DynamoDB calls of the given operations fail as if the connection broke. */
export function clientsFailing(operations: readonly string[]): ProcessorDependencies['clients'] {
  return clientsWithDynamoHook(async (operation) => {
    if (operations.includes(operation)) throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
  });
}

/** Clients whose SQS endpoint refuses connections (DLQ unavailable). */
export function clientsWithDeadQueue(): ProcessorDependencies['clients'] {
  return { ...defaultClients(), sqs: new SQSClient({ endpoint: 'http://127.0.0.1:9', maxAttempts: 1 }) };
}
