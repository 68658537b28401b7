/**
 * The processor function of one pipeline: esbuild bundle of `lambdas/handlers/<action>.ts`, its own
 * log group and an execution role that starts empty (no managed policy); the pipeline adds exact grants.
 */
import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { PipelineConfig } from '../config';
import { PowertoolsEnv } from '../../lambdas/shared/environment';
import { METRIC_NAMESPACE } from '../../lambdas/shared/metrics-contract';

const REPO_ROOT = path.join(__dirname, '..', '..');

/** Where the Lambda entries live: one `<action>.ts` per action, each exporting `handler`. */
export const HANDLERS_DIR = path.join(REPO_ROOT, 'lambdas', 'handlers');

/** The runtime the processors are deployed on (the team's target; the bundle targets it too). */
export const PROCESSOR_RUNTIME = lambda.Runtime.NODEJS_22_X;

export interface ProcessorFunctionProps {
  readonly pipeline: PipelineConfig;
  /** Physical function name (from `pipelineResourceNames()`). */
  readonly functionName: string;
  /** Processor-specific environment (table names, DLQ URL, ...), added to the Powertools settings. */
  readonly environment: Readonly<Record<string, string>>;
  /** Folder with the `<action>.ts` entries. @default HANDLERS_DIR (lambdas/handlers of this repo) */
  readonly handlersDir?: string;
}

export class ProcessorFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  /** The function's own log group, with the configured retention. */
  readonly logGroup: logs.LogGroup;
  /** Execution role: only the log-writing policy here; the pipeline grants the rest. */
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: ProcessorFunctionProps) {
    super(scope, id);
    const { pipeline, functionName } = props;
    const processor = pipeline.processor;

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName: `/aws/lambda/${functionName}`,
      retention: processor.logRetentionDays as logs.RetentionDays,
      // Logs are evidence for incidents: keep them when the stack is deleted.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // An explicit role instead of AWSLambdaBasicExecutionRole: that managed policy allows writing to
    // every log group of the account; this one writes only to the function's own.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ${pipeline.name} pipeline processor`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogGroup',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      functionName,
      description: `${pipeline.name} pipeline processor (${pipeline.action}): ${pipeline.description}`.slice(0, 256),
      entry: path.join(props.handlersDir ?? HANDLERS_DIR, `${pipeline.action}.ts`),
      handler: 'handler',
      runtime: PROCESSOR_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: processor.memoryMb,
      timeout: Duration.seconds(processor.timeoutSeconds),
      role: this.role,
      logGroup: this.logGroup,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      projectRoot: REPO_ROOT,
      environment: {
        [PowertoolsEnv.ServiceName]: pipeline.name,
        [PowertoolsEnv.LogLevel]: processor.logLevel,
        [PowertoolsEnv.MetricsNamespace]: METRIC_NAMESPACE,
        // Stack traces point at the TypeScript sources through the bundled source map.
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        minify: true,
        sourceMap: true,
        sourceMapMode: nodejs.SourceMapMode.DEFAULT,
        // The map is for stack traces, which need positions only: leaving sources out halves the asset.
        sourcesContent: false,
        target: 'node22',
        format: nodejs.OutputFormat.CJS,
        // Bundle the AWS SDK v3 clients too: the processor relies on features newer than the SDK
        // preinstalled in the runtime, and a bundled client also starts faster.
        externalModules: [],
        forceDockerBundling: false,
        logLevel: nodejs.LogLevel.WARNING,
      },
    });
  }
}
