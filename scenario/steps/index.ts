/**
 * The registered steps, in timeline order: each windowed step is placed after the windows before it.
 * A new step is one file beside these and one line here.
 */
import { consumerOutage } from './consumer-outage';
import { dynamodbOutage } from './dynamodb-outage';
import { kinesisOutage } from './kinesis-outage';
import { poison } from './poison';
import { reshard } from './reshard';

export const SCENARIO_STEPS = [
  poison,
  consumerOutage,
  dynamodbOutage,
  kinesisOutage,
  reshard,
] as const;

export type StepName = (typeof SCENARIO_STEPS)[number]['name'];
