/**
 * PLACEHOLDER until the processor lands (issue 3): acknowledges every record without processing it.
 * This is not the processor; it only lets the stack synthesize and deploy.
 */
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';

export async function handler(_event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> {
  return { batchItemFailures: [] };
}
