/**
 * The windowed benchmark's reference anchor: counting returns per SKU and window the way one would
 * with Powertools for AWS Lambda, event by event: `BatchProcessor` + `makeIdempotent` (DynamoDB
 * persistence) around one `UpdateItem ADD` per window the event falls in (count and amount). Records
 * run in parallel (Powertools' default). Exactly-once only as far as Powertools' idempotency goes: the
 * counter and the idempotency record are separate writes.
 *
 * Not shipped: it exists so `npm run bench` can compare against it in the same run.
 */
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { decodeEnvelope, type CloudEvent } from '../../lambdas/shared/envelope';
import { windowStartsOf, type WindowSpec } from '../../lambdas/processor/windows/window-math';

export interface WindowedBaselineOptions {
  readonly idempotencyTableName: string;
  readonly countsTableName: string;
  readonly spec: WindowSpec;
  readonly client: DynamoDBClient;
}

export function createPowertoolsWindowedHandler(options: WindowedBaselineOptions): (event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse> {
  const documents = DynamoDBDocumentClient.from(options.client);
  const processor = new BatchProcessor(EventType.KinesisDataStreams);
  const config = new IdempotencyConfig({ eventKeyJmesPath: '[source, id]' });
  const persistenceStore = new DynamoDBPersistenceLayer({ tableName: options.idempotencyTableName, keyAttr: 'pk', expiryAttr: 'expiresAt', awsSdkV3Client: options.client });

  const count = makeIdempotent(
    async (event: CloudEvent): Promise<void> => {
      const data = event.data as { sku: string; amount: number };
      await Promise.all(
        windowStartsOf(Date.parse(event.time!), options.spec).map((start) =>
          documents.send(
            new UpdateCommand({
              TableName: options.countsTableName,
              Key: { pk: `window#${start}#${data.sku}` },
              UpdateExpression: 'ADD #count :one, #amount :amount',
              ExpressionAttributeNames: { '#count': 'count', '#amount': 'amount' },
              ExpressionAttributeValues: { ':one': 1, ':amount': data.amount },
            }),
          ),
        ),
      );
    },
    { persistenceStore, config },
  );

  const recordHandler = async (record: KinesisStreamRecord): Promise<void> => {
    const decoded = decodeEnvelope(Buffer.from(record.kinesis.data, 'base64'));
    if (!decoded.ok) throw new Error(decoded.reason);
    await count(decoded.event);
  };

  return async (event, context) => {
    config.registerLambdaContext(context);
    return processPartialResponse(event, recordHandler, processor, { context });
  };
}
