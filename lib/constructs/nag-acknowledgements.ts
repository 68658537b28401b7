/**
 * The cdk-nag (AwsSolutions) findings a pipeline accepts, each with its reason. `EventPipeline`
 * acknowledges them on its own resources, so a pipeline is nag-clean in any app, ours or a user's.
 * Anything not acknowledged here fails `cdk synth` (bin/app.ts) and the nag test (test/stack/nag.test.ts).
 */
import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { PROCESSOR_RUNTIME } from './processor-function';

export interface NagAcknowledgement {
  readonly id: string;
  readonly reason: string;
}

/** Acknowledgements per resource of a pipeline (exported for the docs and the tests). */
export const PIPELINE_ACKNOWLEDGEMENTS = {
  deadLetterQueue: [
    {
      id: 'AwsSolutions::AwsSolutions-SQS3',
      reason:
        'This queue IS the dead-letter queue: it receives the event source mapping on-failure records and the processor poison records. A DLQ of a DLQ would only hide them.',
    },
  ],
  processor: [
    {
      id: 'AwsSolutions::AwsSolutions-L1',
      reason: `The processors run on ${PROCESSOR_RUNTIME.name}, the team's supported runtime (the bundle targets it, the Powertools and SDK versions are tested on it); moving to a newer Node.js runtime is a deliberate upgrade, not a synth-time default.`,
    },
  ],
  stream: [
    {
      id: 'AwsSolutions::AwsSolutions-KDS3',
      reason:
        'A customer-managed key is required by the product: the same key encrypts the DLQ and tables, its policy is ours to audit, and rotation is on. The KMS request cost is accepted.',
    },
  ],
} as const satisfies Record<string, readonly NagAcknowledgement[]>;

/** The resources of a pipeline the acknowledgements are about. */
export interface AcknowledgedResources {
  readonly deadLetterQueue: IConstruct;
  readonly processor: IConstruct;
  readonly stream: IConstruct;
}

export function acknowledgePipelineFindings(p: AcknowledgedResources): void {
  acknowledge(p.deadLetterQueue, PIPELINE_ACKNOWLEDGEMENTS.deadLetterQueue);
  acknowledge(p.processor, PIPELINE_ACKNOWLEDGEMENTS.processor);
  acknowledge(p.stream, PIPELINE_ACKNOWLEDGEMENTS.stream);
}

function acknowledge(scope: Parameters<typeof Validations.of>[0], acks: readonly NagAcknowledgement[]): void {
  for (const ack of acks) Validations.of(scope).acknowledge(ack);
}
