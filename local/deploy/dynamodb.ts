import {
  CreateTableCommand,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { DeployedData } from './deployed-data';

/** Properties that change nothing observable locally. */
export const TABLE_NOT_EMULATED = ['SSESpecification', 'PointInTimeRecoverySpecification', 'ContributorInsightsSpecification', 'DeletionProtectionEnabled', 'TableClass', 'Tags', 'KinesisStreamSpecification', 'ResourcePolicy', 'WarmThroughput', 'OnDemandThroughput'];
/** CreateTable takes these template properties as they are. */
const PASSED_THROUGH = ['AttributeDefinitions', 'KeySchema', 'BillingMode', 'ProvisionedThroughput', 'GlobalSecondaryIndexes', 'LocalSecondaryIndexes', 'StreamSpecification'] as const;

/** AWS::DynamoDB::Table → CreateTable + UpdateTimeToLive. */
export async function deployTable(
  dynamodb: DynamoDBClient,
  props: Record<string, unknown>,
  settings: { readonly name: string; readonly region: string; readonly account: string },
): Promise<DeployedData> {
  const input: Record<string, unknown> = { TableName: settings.name };
  for (const key of PASSED_THROUGH) if (props[key] !== undefined) input[key] = props[key];
  const created = await dynamodb.send(new CreateTableCommand(input as unknown as CreateTableCommandInput));
  const ttl = props.TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean } | undefined;
  if (ttl?.Enabled && ttl.AttributeName) {
    await dynamodb.send(new UpdateTimeToLiveCommand({ TableName: settings.name, TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true } }));
  }
  const arn = `arn:aws:dynamodb:${settings.region}:${settings.account}:table/${settings.name}`;
  const streamArn = created.TableDescription?.LatestStreamArn;
  const keys = ((props.KeySchema as { AttributeName: string; KeyType: string }[] | undefined) ?? []).map((k) => `${k.AttributeName} (${k.KeyType})`);
  return {
    physicalId: settings.name,
    arn,
    attributes: { Arn: arn, ...(streamArn ? { StreamArn: streamArn } : {}) },
    summary: `key ${keys.join(', ')}${ttl?.Enabled ? `, TTL on ${ttl.AttributeName}` : ''}`,
  };
}
