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
  /** S3 (fauxqs serves it beside SQS and SNS); on-failure destinations in buckets need it. */
  readonly s3?: string;
}

/**
 * What one synchronous invocation of a local function returned. `durationMs` is Lambda's Duration: the
 * handler's run time as the container measured it (the invoke's transport is not in it).
 */
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

/**
 * Fixed loopback ports of what a local target serves to its users (the endpoints in `LocalAws.env`).
 * Each one left out is a free port the OS picks.
 */
export interface LocalPorts {
  /** Kinesis (its fault proxy). */
  readonly kinesis?: number;
  /** DynamoDB (its fault proxy). */
  readonly dynamodb?: number;
  /** SQS (its fault proxy). */
  readonly sqs?: number;
  /** SNS and S3: the emulator serving them (fauxqs), so only when the target starts its own emulators. */
  readonly sns?: number;
  /** The control plane: Lambda and CloudWatch APIs on one port. */
  readonly lambda?: number;
}

/** Options of `startLocalAws()` (local/index.ts), the one entry point of the embedded local AWS. */
export interface LocalAwsOptions {
  /**
   * Deploy the synthesized stack. Default true. False starts an empty target (emulators, Lambda runtime,
   * control plane) whose functions and mappings are created through the Lambda API, as on LocalStack.
   */
  readonly deploy?: boolean;
  /** Cloud assembly folder to deploy from. Default `cdk.out`. */
  readonly cdkOut?: string;
  /**
   * Stack to deploy (name or artifact id), given by the caller: `npm start` and the tests pass the configured
   * one (lib/config). Default: the cloud assembly's only stack, as `cdk deploy` picks it (an error when it holds several).
   */
  readonly stackName?: string;
  /** Simulated seconds per real second for alarm periods and record ages (60 = a 5-minute period passes in 5 s). Default 1. */
  readonly timeScale?: number;
  /** Event source mapping poll interval per shard (ms, real time). Default 1000 (AWS's). */
  readonly pollIntervalMs?: number;
  /** Where emulator, function and control-plane logs go. Default `.local-aws/logs`. */
  readonly logDir?: string;
  /** Reuse emulators already running (e.g. the test runner's) instead of starting new ones. */
  readonly emulators?: EmulatorEndpoints;
  /** Fixed ports of the endpoints it serves (e.g. so that a shell's exported environment stays valid across restarts). Default: free ports. */
  readonly ports?: LocalPorts;
  /** Print what was deployed and alarm state changes. Default true. */
  readonly verbose?: boolean;
  /** Where those lines go (when `verbose`). Default: stdout, each prefixed `[local-aws] `. */
  readonly log?: (line: string) => void;
  /**
   * Appended to every physical name (stream, table, queue, topic, function, alarm), e.g. `-a1b2`, so that
   * several LocalAws instances can deploy the same template onto one set of emulators at once. Literal
   * uses of those names in the template (alarm dimensions) are renamed too. Default none: the names
   * `cdk deploy` would create.
   */
  readonly resourceNameSuffix?: string;
  /**
   * Environment variables set over the template's, per deployed function name (suffix included): what a
   * deployer's parameter override does, for a run that needs other settings than the template's (the
   * `npm start` scenario runs windowed pipelines on its time scale). Default none: the template's.
   */
  readonly functionEnvironment?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /**
   * Skip a schedule's occurrence while its previous invocation of the same target still runs (see
   * local/scheduler/scheduler.ts: on a scaled time axis, slow runs would otherwise pile up). Default false:
   * every occurrence invokes, as on AWS.
   */
  readonly skipScheduledWhileBusy?: boolean;
}

/** Services whose connections the fault injector can break, for outage drills. */
export type FaultTarget = 'dynamodb' | 'kinesis' | 'sqs';
/** `refuse`: connections are reset at once; `stall`: connections hang until the fault is cleared. */
export type FaultMode = 'none' | 'refuse' | 'stall';

/** A running embedded local AWS. */
export interface LocalAws {
  /** Endpoints per service, including the control plane's Lambda and CloudWatch APIs. */
  readonly endpoints: EmulatorEndpoints & { readonly lambda: string; readonly cloudwatch: string };
  /** AWS_ENDPOINT_URL_*, AWS_REGION and credentials: apply to process.env or a child's env to talk to this target. */
  readonly env: Readonly<Record<string, string>>;
  /** Physical names of what was deployed, by CloudFormation logical id. */
  readonly resources: Readonly<Record<string, { readonly type: string; readonly physicalId: string; readonly arn?: string }>>;
  /** Break or heal a service's connections (its data is kept). No AWS API exists for this, hence a method. */
  setFault(target: FaultTarget, mode: FaultMode): void;
  /**
   * Reshards an on-demand stream to `shardCount` open shards, as AWS does by itself under load (the
   * Kinesis API refuses UpdateShardCount, SplitShard and MergeShards on on-demand streams, here as on
   * AWS); resolves once the stream is ACTIVE again. No AWS API exists for this, hence a method.
   */
  scaleOnDemandStream(streamName: string, shardCount: number): Promise<void>;
  /** Stop pollers, functions, control plane and (if started here) emulators. Idempotent. */
  stop(): Promise<void>;
}
