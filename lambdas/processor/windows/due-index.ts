/**
 * Reading the state table's sparse due index (open windows and pending alerts, by when they are due): the
 * one paginated Query both the closer and the alerts outbox use, so its cost grows with what is due.
 */
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { StateTable } from '../../shared/tables';
import type { DynamoUsage, Item } from '../dynamo';

export interface DueIndexReader {
  readonly ddb: DynamoDBDocumentClient;
  readonly stateTable: string;
  readonly usage: DynamoUsage;
}

/** The items of one index partition due at or before `dueBy`, page by page; stop iterating to stop paging. */
export async function* dueItems(reader: DueIndexReader, bucket: string, dueBy: number): AsyncGenerator<Item[]> {
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const out = await reader.ddb.send(
      new QueryCommand({
        TableName: reader.stateTable,
        IndexName: StateTable.dueIndex.name,
        KeyConditionExpression: '#bucket = :bucket AND #dueAt <= :dueBy',
        ExpressionAttributeNames: { '#bucket': StateTable.dueIndex.partitionKey, '#dueAt': StateTable.dueIndex.sortKey },
        ExpressionAttributeValues: { ':bucket': bucket, ':dueBy': dueBy },
        ExclusiveStartKey,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    reader.usage.record(out.ConsumedCapacity ? [out.ConsumedCapacity] : undefined);
    yield out.Items ?? [];
    ExclusiveStartKey = out.LastEvaluatedKey;
  } while (ExclusiveStartKey);
}
