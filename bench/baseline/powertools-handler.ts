/**
 * The benchmark's reference anchor: the same actions run the way the Powertools for AWS Lambda docs
 * recommend for Kinesis, `BatchProcessor` + `processPartialResponse` with each record made idempotent
 * by `makeIdempotent` and the DynamoDB persistence layer (conditional PutItem, then UpdateItem).
 * Records run in parallel (Powertools' default). The orders variant reads the order (GetItem), decides
 * with the very same `ordersAction.decide`, and writes it with a version condition (PutItem).
 *
 * Not shipped: it exists so `npm run bench` can compare against it in the same run.
 */
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { decodeEnvelope, type CloudEvent } from '../../lambdas/shared/envelope';
import { ordersAction } from '../../lambdas/actions/orders';
import type { UserRecord } from '../../lambdas/processor/records';

export interface BaselineOptions {
  readonly action: 'noop' | 'orders';
  readonly idempotencyTableName: string;
  readonly stateTableName?: string;
  readonly client: DynamoDBClient;
}

export function createPowertoolsHandler(options: BaselineOptions): (event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse> {
  const documents = DynamoDBDocumentClient.from(options.client);
  const processor = new BatchProcessor(EventType.KinesisDataStreams);
  const config = new IdempotencyConfig({ eventKeyJmesPath: '[source, id]' });
  const persistenceStore = new DynamoDBPersistenceLayer({ tableName: options.idempotencyTableName, keyAttr: 'pk', expiryAttr: 'expiresAt', awsSdkV3Client: options.client });

  async function applyOrder(event: CloudEvent, record: UserRecord): Promise<void> {
    const key = event.subject!;
    const current = (await documents.send(new GetCommand({ TableName: options.stateTableName, Key: { pk: key }, ConsistentRead: true }))).Item;
    const version = typeof current?.version === 'number' ? current.version : 0;
    const decision = ordersAction.decide({ event, record }, current ? { ...current, pk: key, version } : undefined);
    if (decision.kind !== 'write') return;
    await documents.send(
      new PutCommand({
        TableName: options.stateTableName,
        Item: { ...decision.attributes, pk: key, version: version + 1 },
        ...(current ? { ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': version } } : { ConditionExpression: 'attribute_not_exists(pk)' }),
      }),
    );
  }

  const idempotentAction = makeIdempotent(
    async (event: CloudEvent, record: UserRecord): Promise<void> => {
      if (options.action === 'orders') await applyOrder(event, record);
    },
    { persistenceStore, config },
  );

  const recordHandler = async (record: KinesisStreamRecord): Promise<void> => {
    const decoded = decodeEnvelope(Buffer.from(record.kinesis.data, 'base64'));
    if (!decoded.ok) throw new Error(decoded.reason);
    await idempotentAction(decoded.event, {
      sequenceNumber: record.kinesis.sequenceNumber,
      partitionKey: record.kinesis.partitionKey,
      data: Buffer.alloc(0),
      shardId: record.eventID.split(':')[0]!,
      arrivalMs: record.kinesis.approximateArrivalTimestamp * 1000,
      eventSourceARN: record.eventSourceARN,
    });
  };

  return async (event, context) => {
    config.registerLambdaContext(context);
    return processPartialResponse(event, recordHandler, processor, { context });
  };
}

/** Lambda entry, for the bundle size and init time measurement (settings from the environment). */
export const handler = createPowertoolsHandler({
  action: process.env.BASELINE_ACTION === 'orders' ? 'orders' : 'noop',
  idempotencyTableName: process.env.IDEMPOTENCY_TABLE_NAME ?? 'idempotency',
  stateTableName: process.env.STATE_TABLE_NAME ?? 'state',
  client: new DynamoDBClient({}),
});
