/**
 * Deploys a synthesized stack (cdk.out, the same template `cdk deploy` uses) to the emulators:
 * creates its streams (and their enhanced fan-out consumers), tables (keys, TTL), queues, topics and SQS subscriptions, and resolves the
 * functions, event source mappings, alarms and schedules (EventBridge rules, Scheduler schedules) for the
 * Lambda runtime, the pollers, the alarm evaluator and the scheduler. Every resource type it does not
 * emulate is listed in the report, never silently skipped.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { DeleteStreamCommand } from '@aws-sdk/client-kinesis';
import { DeleteTopicCommand } from '@aws-sdk/client-sns';
import { DeleteQueueCommand } from '@aws-sdk/client-sqs';
import { readStackArtifact } from './cloud-assembly';
import type { DeployedData } from './deployed-data';
import { deployTable, TABLE_NOT_EMULATED } from './dynamodb';
import { IntrinsicResolver, UnresolvableError, type ResolvedResource } from './intrinsics';
import { deployStream, deployStreamConsumer, removeStreamConsumer, STREAM_NOT_EMULATED } from './kinesis';
import { deployQueue, deployTopic, EMULATED_PROTOCOLS, QUEUE_NOT_EMULATED, subscribe, TOPIC_NOT_EMULATED, type SubscriptionProps } from './messaging';
import type { AlarmModel, DeployClients, DeployedResource, EventSourceMappingModel, FunctionModel, ScheduleModel } from './model';
import { PhysicalNames } from './physical-names';
import { resolveRule, resolveSchedule, resolveScheduleGroup, RULE, SCHEDULE, SCHEDULE_GROUP, type ScheduleContext } from './schedules';
import type { CfnResource } from './template';

export type { AlarmModel, DeployClients, DeployedResource, EventSourceMappingModel, FunctionModel, ScheduleInputModel, ScheduleModel, ScheduleTargetModel } from './model';
export { readStackArtifact, type StackArtifact } from './cloud-assembly';

export interface DeployOptions {
  /** Cloud assembly folder. Default `cdk.out`. */
  readonly cdkOut?: string;
  /** Stack name or artifact id; optional when the assembly holds one stack. */
  readonly stackName?: string;
  /** SDK clients pointed at the emulators (or their fault proxies). */
  readonly clients: DeployClients;
  /** Default us-east-1. */
  readonly region?: string;
  /** Default 000000000000 (the emulators' account). */
  readonly account?: string;
  /** Appended to every physical name so several deployments of one template can share emulators. Default none. */
  readonly resourceNameSuffix?: string;
  /** Shards of an ON_DEMAND stream locally. Default 2. */
  readonly onDemandShardCount?: number;
  /** Receives the deploy report, one line at a time. Default: nothing. */
  readonly log?: (line: string) => void;
}

export interface DeployedStack {
  readonly stackName: string;
  readonly assemblyDir: string;
  readonly resources: Readonly<Record<string, DeployedResource>>;
  readonly functions: readonly FunctionModel[];
  readonly eventSourceMappings: readonly EventSourceMappingModel[];
  readonly alarms: readonly AlarmModel[];
  /** EventBridge rules with a ScheduleExpression and Scheduler schedules, with their Lambda targets. */
  readonly schedules: readonly ScheduleModel[];
  /** Logical ids by resource type, for everything the local target does not emulate. */
  readonly notEmulated: Readonly<Record<string, readonly string[]>>;
  /** `Logical id (type): property` for template properties without a local effect. */
  readonly ignoredProperties: readonly string[];
  /** Stack outputs, resolved (an output that cannot be resolved locally is absent). */
  readonly outputs: Readonly<Record<string, string>>;
  /** The report lines (also sent to `log`). */
  readonly report: readonly string[];
  /** Deletes the streams, tables, queues and topics this deploy created. */
  teardown(): Promise<void>;
}

interface DataType {
  readonly nameProperty: string;
  /** Template properties without a local effect (encryption, backups, tags): reported, not resolved. */
  readonly notEmulated: readonly string[];
  readonly maxNameLength: number;
  deploy(clients: DeployClients, props: Record<string, unknown>, settings: { name: string; region: string; account: string; onDemandShardCount: number }): Promise<DeployedData>;
  remove(clients: DeployClients, deployed: DeployedData): Promise<unknown>;
}

const DATA_TYPES: Readonly<Record<string, DataType>> = {
  'AWS::Kinesis::Stream': {
    nameProperty: 'Name',
    notEmulated: STREAM_NOT_EMULATED,
    maxNameLength: 128,
    deploy: (c, p, s) => deployStream(c.kinesis, p, s),
    remove: (c, d) => c.kinesis.send(new DeleteStreamCommand({ StreamName: d.physicalId, EnforceConsumerDeletion: true })),
  },
  'AWS::DynamoDB::Table': {
    nameProperty: 'TableName',
    notEmulated: TABLE_NOT_EMULATED,
    maxNameLength: 255,
    deploy: (c, p, s) => deployTable(c.dynamodb, p, s),
    remove: (c, d) => c.dynamodb.send(new DeleteTableCommand({ TableName: d.physicalId })),
  },
  'AWS::SQS::Queue': {
    nameProperty: 'QueueName',
    notEmulated: QUEUE_NOT_EMULATED,
    maxNameLength: 80,
    deploy: (c, p, s) => deployQueue(c.sqs, p, s),
    remove: (c, d) => c.sqs.send(new DeleteQueueCommand({ QueueUrl: d.physicalId })),
  },
  'AWS::SNS::Topic': {
    nameProperty: 'TopicName',
    notEmulated: [...TOPIC_NOT_EMULATED, 'Subscription'],
    maxNameLength: 256,
    deploy: (c, p, s) => deployTopic(c.sns, p, s),
    remove: (c, d) => c.sns.send(new DeleteTopicCommand({ TopicArn: d.physicalId })),
  },
};

const FUNCTION = 'AWS::Lambda::Function';
const STREAM_CONSUMER = 'AWS::Kinesis::StreamConsumer';
const MAPPING = 'AWS::Lambda::EventSourceMapping';
const ALARM = 'AWS::CloudWatch::Alarm';
const SUBSCRIPTION = 'AWS::SNS::Subscription';
/** Lambda's defaults when the template leaves them out. */
const LAMBDA_DEFAULT_TIMEOUT_SECONDS = 3;
const LAMBDA_DEFAULT_MEMORY_MB = 128;

export async function deployStack(options: DeployOptions): Promise<DeployedStack> {
  const artifact = readStackArtifact(options.cdkOut ?? 'cdk.out', options.stackName);
  const { template, stackName } = artifact;
  const region = options.region ?? 'us-east-1';
  const account = options.account ?? '000000000000';
  const names = new PhysicalNames(stackName, options.resourceNameSuffix ?? '');
  const resolved = new Map<string, ResolvedResource>();
  const resources: Record<string, DeployedResource> = {};
  const notEmulated: Record<string, string[]> = {};
  const ignoredProperties: string[] = [];
  const report: string[] = [];
  const removals: (() => Promise<unknown>)[] = [];
  const say = (line: string): void => {
    report.push(line);
    options.log?.(line);
  };
  const resolver = new IntrinsicResolver({ template, region, account, stackName, resource: (id) => resolved.get(id) });
  const register = (logicalId: string, type: string, physicalId: string, ref: string, attributes: Record<string, string>, arn?: string): void => {
    resolved.set(logicalId, { type, ref, attributes });
    resources[logicalId] = arn === undefined ? { type, physicalId } : { type, physicalId, arn };
  };
  const props = (logicalId: string, resource: CfnResource, without: readonly string[] = []): Record<string, unknown> => {
    const kept = Object.fromEntries(Object.entries(resource.Properties ?? {}).filter(([key]) => !without.includes(key)));
    return names.rename((resolver.resolve(kept, `${logicalId}.Properties`) ?? {}) as Record<string, unknown>);
  };
  const notEmulatedHere = (logicalId: string, type: string): void => {
    (notEmulated[type] ??= []).push(logicalId);
  };

  const entries = Object.entries(template.Resources).filter(([, r]) => resolver.resourceExists(r.Condition));
  say(`Deploying ${stackName} from ${artifact.templateFile}`);

  // 1. Data resources, in parallel: nothing among them refers to another (subscriptions come later).
  await Promise.all(
    entries
      .filter(([, r]) => DATA_TYPES[r.Type] !== undefined)
      .map(async ([logicalId, resource]) => {
        const type = DATA_TYPES[resource.Type] as DataType;
        const properties = props(logicalId, resource, type.notEmulated);
        for (const p of type.notEmulated) {
          if (p !== 'Subscription' && resource.Properties?.[p] !== undefined) ignoredProperties.push(`${logicalId} (${resource.Type}): ${p}`);
        }
        const explicit = properties[type.nameProperty];
        const name = names.name(logicalId, typeof explicit === 'string' ? explicit : undefined, type.maxNameLength);
        const deployed = await type.deploy(options.clients, properties, { name, region, account, onDemandShardCount: options.onDemandShardCount ?? 2 });
        removals.push(() => type.remove(options.clients, deployed));
        register(logicalId, resource.Type, deployed.physicalId, deployed.ref ?? deployed.physicalId, { ...deployed.attributes }, deployed.arn);
        say(`  created ${resource.Type} ${name}${deployed.summary ? `: ${deployed.summary}` : ''}`);
      }),
  );

  // 1b. Enhanced fan-out consumers: they name their stream, so they come after it.
  for (const [logicalId, resource] of entries.filter(([, r]) => r.Type === STREAM_CONSUMER)) {
    const deployed = await deployStreamConsumer(options.clients.kinesis, props(logicalId, resource));
    removals.push(() => removeStreamConsumer(options.clients.kinesis, deployed));
    register(logicalId, STREAM_CONSUMER, deployed.physicalId, deployed.ref ?? deployed.physicalId, { ...deployed.attributes }, deployed.arn);
    say(`  created ${STREAM_CONSUMER} ${deployed.physicalId}${deployed.summary ? `: ${deployed.summary}` : ''}`);
  }

  // 2. SNS subscriptions (standalone and inline on topics): SQS only.
  const subscriptions: { where: string; props: SubscriptionProps }[] = [];
  for (const [logicalId, resource] of entries) {
    if (resource.Type === SUBSCRIPTION) subscriptions.push({ where: logicalId, props: props(logicalId, resource) as unknown as SubscriptionProps });
    if (resource.Type === 'AWS::SNS::Topic') {
      const inline = (resource.Properties?.Subscription ?? []) as unknown[];
      inline.forEach((s, i) => {
        const p = names.rename(resolver.resolve(s, `${logicalId}.Subscription[${i}]`)) as { Protocol: string; Endpoint: string };
        subscriptions.push({ where: `${logicalId}.Subscription[${i}]`, props: { ...p, TopicArn: resolved.get(logicalId)?.ref ?? '' } });
      });
    }
  }
  for (const { where, props: s } of subscriptions) {
    if (!EMULATED_PROTOCOLS.includes(s.Protocol)) {
      notEmulatedHere(where, `${SUBSCRIPTION} (protocol ${s.Protocol})`);
      continue;
    }
    const arn = await subscribe(options.clients.sns, s);
    if (!where.includes('.')) register(where, SUBSCRIPTION, arn, arn, {}, arn);
    say(`  created ${SUBSCRIPTION} ${s.TopicArn} → ${s.Endpoint}`);
  }

  // 3. Functions: their names and ARNs first, so environments may refer to one another.
  const functionEntries = entries.filter(([, r]) => r.Type === FUNCTION);
  for (const [logicalId, resource] of functionEntries) {
    const explicit = resolver.resolve(resource.Properties?.FunctionName, `${logicalId}.FunctionName`);
    const name = names.name(logicalId, typeof explicit === 'string' ? explicit : undefined, 64);
    const arn = `arn:aws:lambda:${region}:${account}:function:${name}`;
    register(logicalId, FUNCTION, name, name, { Arn: arn }, arn);
  }
  const functions: FunctionModel[] = functionEntries.map(([logicalId, resource]) => {
    const p = resource.Properties ?? {};
    const { ref: functionName, attributes } = resolved.get(logicalId) as ResolvedResource;
    const variables = names.rename(resolver.resolve((p.Environment as { Variables?: unknown } | undefined)?.Variables ?? {}, `${logicalId}.Environment.Variables`)) as Record<string, unknown>;
    const assetPath = resource.Metadata?.['aws:asset:path'];
    const model: FunctionModel = {
      logicalId,
      functionName,
      arn: attributes.Arn as string,
      handler: String(p.Handler ?? 'index.handler'),
      runtime: String(p.Runtime ?? 'nodejs22.x'),
      timeoutSeconds: Number(p.Timeout ?? LAMBDA_DEFAULT_TIMEOUT_SECONDS),
      memoryMb: Number(p.MemorySize ?? LAMBDA_DEFAULT_MEMORY_MB),
      architectures: (p.Architectures as string[] | undefined) ?? ['x86_64'],
      environment: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(v)])),
      assetDir: typeof assetPath === 'string' ? join(artifact.assemblyDir, assetPath) : undefined,
      roleArn: roleArnOf(resolver, logicalId, p.Role),
    };
    say(`  function ${functionName}: ${model.runtime}, ${model.handler}, ${model.timeoutSeconds} s, ${model.memoryMb} MB${model.assetDir ? '' : ' (no asset: inline code is not run locally)'}`);
    return model;
  });

  // 4. Event source mappings: every property resolved, plus the identifiers the Lambda API adds.
  const eventSourceMappings: EventSourceMappingModel[] = entries
    .filter(([, r]) => r.Type === MAPPING)
    .map(([logicalId, resource]) => {
      const p = props(logicalId, resource);
      const uuid = randomUUID();
      const target = String(p.FunctionName);
      const functionName = target.startsWith('arn:') ? (target.split(':')[6] ?? target) : target;
      const functionArn = functions.find((f) => f.functionName === functionName)?.arn ?? `arn:aws:lambda:${region}:${account}:function:${functionName}`;
      register(logicalId, MAPPING, uuid, uuid, { Id: uuid, EventSourceMappingArn: `arn:aws:lambda:${region}:${account}:event-source-mapping:${uuid}` });
      say(`  event source mapping ${uuid}: ${String(p.EventSourceArn)} → ${functionName}`);
      return { logicalId, uuid, properties: { ...p, UUID: uuid, FunctionName: functionName, FunctionArn: functionArn } };
    });

  // 5. Alarms.
  const alarmEntries = entries.filter(([, r]) => r.Type === ALARM);
  for (const [logicalId, resource] of alarmEntries) {
    const explicit = resolver.resolve(resource.Properties?.AlarmName, `${logicalId}.AlarmName`);
    const name = names.name(logicalId, typeof explicit === 'string' ? explicit : undefined, 255);
    const arn = `arn:aws:cloudwatch:${region}:${account}:alarm:${name}`;
    register(logicalId, ALARM, name, name, { Arn: arn }, arn);
  }
  const alarms: AlarmModel[] = alarmEntries.map(([logicalId, resource]) => {
    const { ref: alarmName, attributes } = resolved.get(logicalId) as ResolvedResource;
    return { logicalId, alarmName, arn: attributes.Arn as string, properties: { ...props(logicalId, resource), AlarmName: alarmName } };
  });
  if (alarms.length > 0) say(`  alarms: ${alarms.length} (${alarms.map((a) => a.alarmName).join(', ')})`);

  // 6. Schedules (groups first: schedules name them), run by the local scheduler.
  const scheduleContext: ScheduleContext = {
    resolver,
    names,
    region,
    account,
    functions,
    register,
    notEmulated: notEmulatedHere,
    ignoredProperty: (line) => ignoredProperties.push(line),
  };
  for (const [logicalId, resource] of entries) if (resource.Type === SCHEDULE_GROUP) resolveScheduleGroup(logicalId, resource, scheduleContext);
  const schedules: ScheduleModel[] = entries
    .map(([logicalId, resource]) => (resource.Type === RULE ? resolveRule(logicalId, resource, scheduleContext) : resource.Type === SCHEDULE ? resolveSchedule(logicalId, resource, scheduleContext) : undefined))
    .filter((s): s is ScheduleModel => s !== undefined);
  for (const s of schedules) {
    say(`  schedule ${s.name} (${s.type}): ${s.expression}${s.timezone === 'UTC' ? '' : ` ${s.timezone}`} → ${s.targets.map((t) => t.functionName).join(', ')}${s.enabled ? '' : ' (DISABLED: never fires)'}`);
  }

  // 7. Everything else is listed, grouped by type.
  const handled = new Set([...Object.keys(DATA_TYPES), STREAM_CONSUMER, FUNCTION, MAPPING, ALARM, SUBSCRIPTION, RULE, SCHEDULE, SCHEDULE_GROUP]);
  for (const [logicalId, resource] of entries) if (!handled.has(resource.Type)) notEmulatedHere(logicalId, resource.Type);
  const groups = Object.entries(notEmulated).sort(([a], [b]) => a.localeCompare(b));
  if (groups.length > 0) say(`  not emulated: ${groups.map(([type, ids]) => `${type} (${ids.length})`).join(', ')}`);
  if (ignoredProperties.length > 0) say(`  properties without local effect: ${ignoredProperties.join('; ')}`);

  const outputs: Record<string, string> = {};
  for (const [key, output] of Object.entries(template.Outputs ?? {})) {
    try {
      outputs[key] = resolver.resolveString(output.Value, `Outputs.${key}`);
    } catch (error) {
      if (!(error instanceof UnresolvableError)) throw error;
    }
  }

  let tornDown: Promise<void> | undefined;
  return {
    stackName,
    assemblyDir: artifact.assemblyDir,
    resources,
    functions,
    eventSourceMappings,
    alarms,
    schedules,
    notEmulated,
    ignoredProperties,
    outputs,
    report,
    teardown: () =>
      (tornDown ??= Promise.allSettled(removals.map((remove) => remove())).then(() => undefined)),
  };
}

/** The execution role's ARN when it resolves; IAM is not emulated, so an unresolved role is not an error. */
function roleArnOf(resolver: IntrinsicResolver, logicalId: string, role: unknown): string | undefined {
  try {
    const value = resolver.resolve(role, `${logicalId}.Role`);
    return typeof value === 'string' ? value : undefined;
  } catch (error) {
    if (error instanceof UnresolvableError) return undefined;
    throw error;
  }
}
