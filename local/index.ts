/**
 * The embedded local AWS: `startLocalAws()` starts (or reuses) the emulators, puts fault proxies in
 * front of them, deploys the synthesized stack from cdk.out, runs its functions in the local Lambda
 * runtime, its event source mappings with AWS's semantics, its alarms on the local CloudWatch, its
 * schedules (EventBridge rules, Scheduler schedules) on the same time scale, and serves the Lambda and
 * CloudWatch APIs on loopback. `stop()` undoes all of it.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { join } from 'node:path';
import { createKinesisClient } from '../sdk/clients';
import { AlarmEvaluator, MetricStore, QueueDepthSampler, SimulatedClock, StreamMetricsSampler } from './cloudwatch';
import type { EmulatorEndpoints, FaultMode, FaultTarget, FunctionInvoker, LocalAws, LocalAwsOptions, LocalPorts } from './contracts';
import { startControlPlane } from './control-plane';
import { deployStack, type DeployClients, type DeployedStack, type FunctionModel } from './deploy';
import { endpointEnv, isPortListening, LOCAL_ACCOUNT, LOCAL_CREDENTIALS, LOCAL_REGION, startEmulators, startFaultProxy, startKinesisGate, type FaultProxy } from './emulators';
import { LocalAwsError } from './errors';
import { EventSourceMappingRegistry, KinesisEventSourceMapping, readThrottled, ShardReadLimits } from './event-source';
import { LambdaRuntime } from './runtime';
import { LocalScheduler } from './scheduler';
import { unpackZip } from './runtime/function-code';

export type { LocalAws, LocalAwsOptions, LocalPorts, FaultMode, FaultTarget, EmulatorEndpoints } from './contracts';
export { emulatorEndpointsFromEnv, emulatorHandoffEnv, handedOverEmulators, startEmulators, type RunningEmulators } from './emulators';

/** A running local AWS: the LocalAws contract plus its parts, for tests and tools that look inside. */
export interface LocalAwsInstance extends LocalAws {
  /** The emulators themselves (behind the fault proxies and the Kinesis gate of `endpoints`). */
  readonly emulators: EmulatorEndpoints;
  readonly deployed: DeployedStack;
  readonly runtime: LambdaRuntime;
  readonly mappings: EventSourceMappingRegistry;
  readonly metrics: MetricStore;
  readonly alarms: AlarmEvaluator;
  readonly schedules: LocalScheduler;
}

const FAULT_TARGETS: readonly FaultTarget[] = ['kinesis', 'dynamodb', 'sqs'];

const CLIENT_DEFAULTS = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };

function kinesisClient(endpoint: string): KinesisClient {
  return createKinesisClient({ ...CLIENT_DEFAULTS, endpoint });
}

function sdkClients(endpoints: EmulatorEndpoints): DeployClients {
  const common = CLIENT_DEFAULTS;
  return {
    kinesis: kinesisClient(endpoints.kinesis),
    dynamodb: new DynamoDBClient({ ...common, endpoint: endpoints.dynamodb }),
    sqs: new SQSClient({ ...common, endpoint: endpoints.sqs }),
    sns: new SNSClient({ ...common, endpoint: endpoints.sns }),
  };
}

export async function startLocalAws(options: LocalAwsOptions = {}): Promise<LocalAwsInstance> {
  const verbose = options.verbose ?? true;
  const log = options.log ?? ((line: string) => console.log(`[local-aws] ${line}`));
  const say = (line: string): void => {
    if (verbose) log(line);
  };
  const logDir = options.logDir ?? join(process.cwd(), '.local-aws', 'logs');
  const timeScale = options.timeScale ?? 1;
  // Undone in reverse order by stop(), or at once if start-up fails half way.
  const cleanups: (() => Promise<unknown> | void)[] = [];
  const undo = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        say(`while stopping: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };

  const ports = options.ports ?? {};
  await checkPorts(ports, options.emulators !== undefined);
  try {
    let emulators = options.emulators;
    if (!emulators) {
      const started = await startEmulators({ logDir, ...(ports.sns !== undefined ? { ports: { fauxqs: ports.sns } } : {}) });
      cleanups.push(() => started.stop());
      emulators = started.endpoints;
      say(`emulators started: ${Object.entries(started.startupMs).map(([name, ms]) => `${name} ${ms} ms`).join(', ')}`);
    }
    const upstream = emulators;

    // Kinesis clients → fault proxy → gate (refuses resharding on-demand streams, as AWS) → emulator.
    const kinesisGate = await startKinesisGate(upstream.kinesis);
    cleanups.push(() => kinesisGate.close());
    const proxies = {} as Record<FaultTarget, FaultProxy>;
    for (const target of FAULT_TARGETS) {
      proxies[target] = await startFaultProxy(target === 'kinesis' ? kinesisGate.endpoint : upstream[target], 'none', ports[target]);
      cleanups.push(() => proxies[target].close());
    }
    const endpoints: EmulatorEndpoints = { kinesis: proxies.kinesis.endpoint, dynamodb: proxies.dynamodb.endpoint, sqs: proxies.sqs.endpoint, sns: upstream.sns };
    const clients = sdkClients(endpoints);
    cleanups.push(() => Object.values(clients).forEach((c) => c.destroy()));

    const template =
      options.deploy === false
        ? emptyDeployment()
        : await deployStack({
            cdkOut: options.cdkOut ?? 'cdk.out',
            stackName: options.stackName,
            clients,
            region: LOCAL_REGION,
            account: LOCAL_ACCOUNT,
            resourceNameSuffix: options.resourceNameSuffix,
            log: say,
          });
    const deployed = withFunctionEnvironment(template, options.functionEnvironment);
    // Emulators of our own die with their data; shared ones (the test runner's) must be left clean.
    if (options.emulators) cleanups.push(() => deployed.teardown());

    // One simulated time axis for alarms and schedules.
    const clock = new SimulatedClock(timeScale);
    const metrics = new MetricStore(clock);
    const alarms = new AlarmEvaluator({ store: metrics, sns: clients.sns, region: LOCAL_REGION, accountId: LOCAL_ACCOUNT, logger: say });
    // S3 (on-failure destinations in buckets) is fauxqs, reached directly: no fault proxy in front of it.
    const s3 = upstream.s3 ? new S3Client({ ...CLIENT_DEFAULTS, endpoint: upstream.s3, forcePathStyle: true }) : undefined;
    if (s3) cleanups.push(() => s3.destroy());
    // One limiter per stream shard for every mapping of the target, as AWS shares a shard's 5 reads/s.
    const readLimits = new ShardReadLimits({ onThrottled: (stream) => readThrottled(metrics, stream, Date.now()) });
    // Template mappings and CreateEventSourceMapping's are made here, the same way.
    const newMapping = (properties: Record<string, unknown>): KinesisEventSourceMapping => {
      const fn = runtime?.functions.find((f) => f.functionName === properties.FunctionName) ?? deployed.functions.find((f) => f.functionName === properties.FunctionName);
      return new KinesisEventSourceMapping(properties, {
        invoker,
        kinesis: clients.kinesis,
        sqs: clients.sqs,
        sns: clients.sns,
        ...(s3 ? { s3 } : {}),
        sink: metrics,
        readLimits,
        timeScale,
        ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
        ...(fn?.roleArn ? { invokeIdentityArn: fn.roleArn } : {}),
        ...(verbose ? {} : { log: () => undefined }),
      });
    };
    const mappings = new EventSourceMappingRegistry(newMapping);
    // The control plane needs the invoker before the runtime exists (the runtime's environment needs
    // the control plane's endpoint): bind late.
    let runtime: LambdaRuntime | undefined;
    const invoker: FunctionInvoker = {
      invoke: async (name, event) => {
        if (!runtime) throw new Error('the local Lambda runtime is not started yet');
        return runtime.invoke(name, event);
      },
    };

    const createdCode = new Map<string, () => void>();
    cleanups.push(() => createdCode.forEach((remove) => remove()));
    const controlPlane = await startControlPlane({
      functions: () => runtime?.functions ?? deployed.functions,
      functionStore: {
        create: async (request) => {
          if (!runtime) throw new Error('the local Lambda runtime is not started yet');
          const { zip, ...settings } = request;
          const code = unpackZip(zip);
          const model: FunctionModel = { logicalId: request.functionName, arn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${request.functionName}`, assetDir: code.dir, ...settings };
          runtime.addFunction(model);
          createdCode.set(request.functionName, code.remove);
          return model;
        },
        delete: async (functionName) => {
          const removed = (await runtime?.removeFunction(functionName)) ?? false;
          createdCode.get(functionName)?.();
          createdCode.delete(functionName);
          return removed;
        },
      },
      invoker,
      mappings,
      metrics,
      alarms,
      log: say,
      ...(ports.lambda !== undefined ? { port: ports.lambda } : {}),
    });
    cleanups.push(() => controlPlane.stop());
    const env = endpointEnv({ ...endpoints, ...(upstream.s3 ? { s3: upstream.s3 } : {}), ...controlPlane.endpoints });

    const lambdaRuntime = new LambdaRuntime({ functions: deployed.functions, environment: env, sink: metrics, logDir });
    runtime = lambdaRuntime;
    cleanups.push(() => lambdaRuntime.stop());

    const schedules = new LocalScheduler({ schedules: deployed.schedules, invoker, clock, account: LOCAL_ACCOUNT, region: LOCAL_REGION, log: say, skipWhileBusy: options.skipScheduledWhileBusy ?? false });
    schedules.start();
    cleanups.push(() => schedules.stop());

    for (const alarm of deployed.alarms) alarms.add(alarm.properties);
    alarms.start();
    cleanups.push(() => alarms.stop());

    const queues = Object.values(deployed.resources)
      .filter((r) => r.type === 'AWS::SQS::Queue')
      .map((r) => ({ name: r.physicalId.slice(r.physicalId.lastIndexOf('/') + 1), url: r.physicalId }));
    const sampler = new QueueDepthSampler({ sqs: clients.sqs, store: metrics, sqsEndpoint: endpoints.sqs, queues });
    sampler.start();
    cleanups.push(() => sampler.stop());

    // Counted from the emulator itself (not the fault proxy): AWS counts writes whatever the consumer does.
    const metricsKinesis = kinesisClient(upstream.kinesis);
    cleanups.push(() => metricsKinesis.destroy());
    const streamNames = Object.values(deployed.resources)
      .filter((r) => r.type === 'AWS::Kinesis::Stream')
      .map((r) => r.physicalId);
    const streamSampler = new StreamMetricsSampler({ kinesis: metricsKinesis, store: metrics, streamNames, logger: say });
    streamSampler.start();
    cleanups.push(() => streamSampler.stop());

    for (const mapping of deployed.eventSourceMappings) mappings.add(newMapping(mapping.properties));
    cleanups.push(() => mappings.stopAll());
    await mappings.startAll();

    say(`ready: ${deployed.functions.length} functions, ${deployed.eventSourceMappings.length} event source mappings, ${deployed.alarms.length} alarms, ${deployed.schedules.length} schedules`);
    say(`endpoints: ${Object.entries(env).filter(([k]) => k.startsWith('AWS_ENDPOINT_URL')).map(([k, v]) => `${k}=${v}`).join(' ')}`);

    let stopping: Promise<void> | undefined;
    return {
      endpoints: { ...endpoints, ...controlPlane.endpoints },
      env,
      resources: deployed.resources,
      emulators: upstream,
      deployed,
      runtime: lambdaRuntime,
      mappings,
      metrics,
      alarms,
      schedules,
      setFault(target: FaultTarget, mode: FaultMode): void {
        const proxy = proxies[target];
        if (!proxy) throw new Error(`no fault injection for "${target}" (only ${FAULT_TARGETS.join(', ')})`);
        proxy.setMode(mode);
        say(`fault: ${target} ${mode}`);
      },
      scaleOnDemandStream: (streamName, shardCount) => kinesisGate.scaleOnDemandStream(streamName, shardCount),
      stop: () => (stopping ??= undo()),
    };
  } catch (error) {
    await undo();
    throw error;
  }
}

/** Fixed ports must be free before anything starts: one error naming every one that is not. */
async function checkPorts(ports: LocalPorts, emulatorsGiven: boolean): Promise<void> {
  if (emulatorsGiven && ports.sns !== undefined) {
    throw new LocalAwsError('ports.sns fixes the port of the SNS/SQS/S3 emulator the target starts; with `emulators` given it starts none');
  }
  const fixed = Object.entries(ports).filter((entry): entry is [string, number] => entry[1] !== undefined);
  const seen = new Map<number, string>();
  for (const [service, port] of fixed) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new LocalAwsError(`ports.${service}: ${port} is not a TCP port`);
    const other = seen.get(port);
    if (other) throw new LocalAwsError(`ports.${other} and ports.${service} are both ${port}`);
    seen.set(port, service);
  }
  const busy = [];
  for (const [service, port] of fixed) if (await isPortListening(port)) busy.push(`${service} ${port}`);
  if (busy.length > 0) throw new LocalAwsError(`ports in use on 127.0.0.1: ${busy.join(', ')} (is another local target running? \`ss -ltnp\` shows who holds them)`);
}

/** What a target started with `deploy: false` has deployed: nothing (functions and mappings come from the API). */
function emptyDeployment(): DeployedStack {
  return {
    stackName: '',
    assemblyDir: '',
    resources: {},
    functions: [],
    eventSourceMappings: [],
    alarms: [],
    schedules: [],
    notEmulated: {},
    ignoredProperties: [],
    outputs: {},
    report: [],
    teardown: async () => undefined,
  };
}

/** The deployment with `overrides` set over each named function's template environment. */
function withFunctionEnvironment(deployed: DeployedStack, overrides: LocalAwsOptions['functionEnvironment']): DeployedStack {
  if (!overrides) return deployed;
  const functions = deployed.functions.map((fn): FunctionModel => (overrides[fn.functionName] ? { ...fn, environment: { ...fn.environment, ...overrides[fn.functionName] } } : fn));
  return { ...deployed, functions };
}
