/**
 * The processor function of one pipeline: esbuild bundle of `lambdas/handlers/<action>.ts` (or of the
 * user's own entry, `action: { entry }`), its own log group and an execution role that starts empty (no
 * managed policy); the pipeline adds exact grants.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { actionLabel, builtInAction, customAction, InvalidConfigError, type PipelineConfig } from '../config';
import { PowertoolsEnv } from '../../lambdas/shared/environment';
import { METRIC_NAMESPACE } from '../../lambdas/shared/metrics-contract';

/** This package's root: the repository, or `dist/` of the built package (its lambdas/ are JavaScript there). */
const PACKAGE_ROOT = path.join(__dirname, '..', '..');

/** Where the Lambda entries live: one `<action>.ts` (`.js` in the built package) per action, each exporting `handler`. */
export const HANDLERS_DIR = path.join(PACKAGE_ROOT, 'lambdas', 'handlers');

/** The lock files NodejsFunction knows, in the order it looks for them. */
const LOCK_FILES = ['pnpm-lock.yaml', 'yarn.lock', 'bun.lockb', 'bun.lock', 'package-lock.json'];

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

    const entry = processorEntry(pipeline, props.handlersDir ?? HANDLERS_DIR);
    const lockFile = nearestLockFile(path.dirname(entry.file));
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      functionName,
      description: `${pipeline.name} pipeline processor (${actionLabel(pipeline)}): ${pipeline.description}`.slice(0, 256),
      entry: entry.file,
      handler: entry.handler,
      runtime: PROCESSOR_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: processor.memoryMb,
      timeout: Duration.seconds(processor.timeoutSeconds),
      role: this.role,
      logGroup: this.logGroup,
      // The project the entry belongs to: this repository for ours, the user's for theirs (and for ours
      // when this package is installed in it: the lock file is not packed).
      depsLockFilePath: lockFile,
      projectRoot: path.dirname(lockFile),
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

/** The file NodejsFunction bundles and the handler it exports. */
function processorEntry(pipeline: PipelineConfig, handlersDir: string): { file: string; handler: string } {
  const builtIn = builtInAction(pipeline);
  if (builtIn) {
    const candidates = ['.ts', '.js'].map((ext) => path.join(handlersDir, `${builtIn}${ext}`));
    const file = candidates.find((f) => fs.existsSync(f));
    if (!file) throw new InvalidConfigError([`pipeline(${pipeline.name}).action: the built-in action's entry is missing (${candidates.join(' or ')})`]);
    return { file, handler: 'handler' };
  }
  const custom = customAction(pipeline)!;
  const file = path.resolve(custom.entry);
  if (!fs.existsSync(file)) {
    throw new InvalidConfigError([`pipeline(${pipeline.name}).action.entry: no file at ${file} ("${custom.entry}" is resolved from ${process.cwd()}, where cdk synth runs)`]);
  }
  return { file, handler: custom.handler };
}

/** The nearest lock file in `dir` or above it: the project whose dependencies the bundle takes. */
function nearestLockFile(dir: string): string {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const found = LOCK_FILES.map((name) => path.join(current, name)).find((f) => fs.existsSync(f));
    if (found) return found;
    if (path.dirname(current) === current) throw new InvalidConfigError([`no lock file (${LOCK_FILES.join(', ')}) in ${dir} or above it: the processor's bundle needs the project's`]);
  }
}
