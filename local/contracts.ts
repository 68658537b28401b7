/**
 * Contracts between the parts of the embedded local AWS (emulators, deploy, Lambda runtime, event
 * source mappings, CloudWatch). Each part depends on these interfaces, not on another part's code.
 */

/** Endpoints of the running emulators, as the AWS SDK's service-specific endpoint settings. */
export interface EmulatorEndpoints {
  /** http://127.0.0.1:PORT of each service. */
  readonly kinesis: string;
  readonly dynamodb: string;
  readonly sqs: string;
  readonly sns: string;
}

/** What one synchronous invocation of a local function returned. */
export type InvokeResult =
  | { readonly kind: 'success'; readonly payload: unknown; readonly durationMs: number }
  /** Unhandled exception, timeout or crash of the container: a Lambda "function error". */
  | {
      readonly kind: 'functionError';
      readonly errorType: string;
      readonly errorMessage: string;
      readonly durationMs: number;
      /** 'Unhandled' as AWS reports it in X-Amz-Function-Error and on-failure records. */
      readonly functionError: 'Unhandled';
    };

/** Runs deployed functions by name (the Lambda runtime implements it). */
export interface FunctionInvoker {
  invoke(functionName: string, event: unknown): Promise<InvokeResult>;
}

/** One CloudWatch datapoint, as PutMetricData or an EMF line would record it. */
export interface MetricDatum {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly value: number;
  readonly unit?: string;
  /** Epoch milliseconds. */
  readonly timestamp: number;
  /** 1 for high-resolution metrics, else 60. */
  readonly storageResolution?: number;
}

/** Where every part of the local target records metrics (the CloudWatch store implements it). */
export interface MetricSink {
  put(datum: MetricDatum): void;
}
