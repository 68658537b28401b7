/**
 * The template's schedules, resolved for the local scheduler (local/scheduler):
 *  - `AWS::Events::Rule` with a ScheduleExpression: Name, State, and each Lambda target's Arn with its
 *    Input or InputPath (no input: the Scheduled Event). A rule on an event pattern, a target that is not
 *    a Lambda function of this stack, an InputTransformer: listed as not emulated.
 *  - `AWS::Scheduler::Schedule`: Name, GroupName, ScheduleExpression, ScheduleExpressionTimezone, State,
 *    StartDate, EndDate, and its target's Arn and Input.
 *  - `AWS::Scheduler::ScheduleGroup`: a name schedules refer to (nothing runs).
 * Each property is resolved on its own: a role ARN (IAM is not emulated) must not stop a schedule.
 */
import { UnresolvableError, type IntrinsicResolver } from './intrinsics';
import type { FunctionModel, ScheduleInputModel, ScheduleModel, ScheduleTargetModel } from './model';
import type { PhysicalNames } from './physical-names';
import type { CfnResource } from './template';

export const RULE = 'AWS::Events::Rule';
export const SCHEDULE = 'AWS::Scheduler::Schedule';
export const SCHEDULE_GROUP = 'AWS::Scheduler::ScheduleGroup';

/** Properties that change when or how AWS delivers, not what the function gets: reported, not emulated. */
const RULE_TARGET_NOT_EMULATED = ['RetryPolicy', 'DeadLetterConfig', 'RoleArn'];
const SCHEDULE_NOT_EMULATED = ['FlexibleTimeWindow', 'KmsKeyArn'];
const SCHEDULE_TARGET_NOT_EMULATED = ['RetryPolicy', 'DeadLetterConfig'];

export interface ScheduleContext {
  readonly resolver: IntrinsicResolver;
  readonly names: PhysicalNames;
  readonly region: string;
  readonly account: string;
  readonly functions: readonly FunctionModel[];
  /** Makes Ref / Fn::GetAtt of the resource resolvable. */
  readonly register: (logicalId: string, type: string, physicalId: string, ref: string, attributes: Record<string, string>, arn?: string) => void;
  readonly notEmulated: (where: string, what: string) => void;
  readonly ignoredProperty: (line: string) => void;
}

export function resolveScheduleGroup(logicalId: string, resource: CfnResource, ctx: ScheduleContext): void {
  const name = ctx.names.name(logicalId, optionalString(ctx, resource.Properties?.Name, `${logicalId}.Name`), 64);
  const arn = `arn:aws:scheduler:${ctx.region}:${ctx.account}:schedule-group/${name}`;
  ctx.register(logicalId, SCHEDULE_GROUP, name, name, { Arn: arn }, arn);
}

export function resolveRule(logicalId: string, resource: CfnResource, ctx: ScheduleContext): ScheduleModel | undefined {
  const p = resource.Properties ?? {};
  const name = ctx.names.name(logicalId, optionalString(ctx, p.Name, `${logicalId}.Name`), 64);
  const arn = `arn:aws:events:${ctx.region}:${ctx.account}:rule/${name}`;
  ctx.register(logicalId, RULE, name, name, { Arn: arn }, arn);
  const expression = optionalString(ctx, p.ScheduleExpression, `${logicalId}.ScheduleExpression`);
  if (expression === undefined) {
    ctx.notEmulated(logicalId, `${RULE} (event pattern)`);
    return undefined;
  }
  if (p.EventPattern !== undefined) ctx.ignoredProperty(`${logicalId} (${RULE}): EventPattern (only the schedule runs locally)`);
  const targets: ScheduleTargetModel[] = [];
  ((p.Targets ?? []) as Record<string, unknown>[]).forEach((target, i) => {
    const where = `${logicalId}.Targets[${i}]`;
    for (const key of RULE_TARGET_NOT_EMULATED) if (target[key] !== undefined) ctx.ignoredProperty(`${where} (${RULE} target): ${key}`);
    if (target.InputTransformer !== undefined) {
      ctx.notEmulated(where, `${RULE} target (InputTransformer)`);
      return;
    }
    const input: ScheduleInputModel =
      target.Input !== undefined
        ? { kind: 'input', text: ctx.resolver.resolveString(target.Input, `${where}.Input`) }
        : target.InputPath !== undefined
          ? { kind: 'input-path', path: ctx.resolver.resolveString(target.InputPath, `${where}.InputPath`) }
          : { kind: 'scheduled-event' };
    const resolved = lambdaTarget(ctx, target.Arn, String(target.Id ?? i), input, where, RULE);
    if (resolved) targets.push(resolved);
  });
  if (targets.length === 0) {
    ctx.notEmulated(logicalId, `${RULE} (no Lambda target)`);
    return undefined;
  }
  return { logicalId, type: RULE, name, arn, expression, timezone: 'UTC', enabled: enabledState(ctx, p.State, `${logicalId}.State`), targets };
}

export function resolveSchedule(logicalId: string, resource: CfnResource, ctx: ScheduleContext): ScheduleModel | undefined {
  const p = resource.Properties ?? {};
  const name = ctx.names.name(logicalId, optionalString(ctx, p.Name, `${logicalId}.Name`), 64);
  const group = optionalString(ctx, p.GroupName, `${logicalId}.GroupName`) ?? 'default';
  const arn = `arn:aws:scheduler:${ctx.region}:${ctx.account}:schedule/${group}/${name}`;
  ctx.register(logicalId, SCHEDULE, name, name, { Arn: arn }, arn);
  for (const key of SCHEDULE_NOT_EMULATED) if (p[key] !== undefined && !(key === 'FlexibleTimeWindow' && (p[key] as { Mode?: unknown }).Mode === 'OFF')) ctx.ignoredProperty(`${logicalId} (${SCHEDULE}): ${key}`);
  const target = (p.Target ?? {}) as Record<string, unknown>;
  const where = `${logicalId}.Target`;
  for (const key of SCHEDULE_TARGET_NOT_EMULATED) if (target[key] !== undefined) ctx.ignoredProperty(`${where} (${SCHEDULE} target): ${key}`);
  // Without Input, AWS sends a "default notification" it does not document: locally an empty object.
  const text = target.Input === undefined ? '{}' : ctx.resolver.resolveString(target.Input, `${where}.Input`);
  const resolved = lambdaTarget(ctx, target.Arn, name, { kind: 'input', text }, where, SCHEDULE);
  if (!resolved) return undefined;
  if (target.Input === undefined) ctx.ignoredProperty(`${where} (${SCHEDULE} target): no Input (AWS sends an undocumented default notification; locally {})`);
  const startDate = optionalString(ctx, p.StartDate, `${logicalId}.StartDate`);
  const endDate = optionalString(ctx, p.EndDate, `${logicalId}.EndDate`);
  return {
    logicalId,
    type: SCHEDULE,
    name,
    arn,
    expression: ctx.resolver.resolveString(p.ScheduleExpression, `${logicalId}.ScheduleExpression`),
    timezone: optionalString(ctx, p.ScheduleExpressionTimezone, `${logicalId}.ScheduleExpressionTimezone`) ?? 'UTC',
    enabled: enabledState(ctx, p.State, `${logicalId}.State`),
    ...(startDate !== undefined ? { startDate } : {}),
    ...(endDate !== undefined ? { endDate } : {}),
    targets: [resolved],
  };
}

/** A target ARN that is a Lambda function of this stack (or a version/alias of one), else listed as not emulated. */
function lambdaTarget(ctx: ScheduleContext, arnValue: unknown, id: string, input: ScheduleInputModel, where: string, type: string): ScheduleTargetModel | undefined {
  let arn: string;
  try {
    arn = ctx.resolver.resolveString(arnValue, `${where}.Arn`);
  } catch (error) {
    if (!(error instanceof UnresolvableError)) throw error;
    ctx.notEmulated(where, `${type} target (${error.message})`);
    return undefined;
  }
  const [, , service = '', , , resourceType, functionName = ''] = arn.split(':');
  if (service !== 'lambda' || resourceType !== 'function') {
    ctx.notEmulated(where, `${type} target (${service || arn})`);
    return undefined;
  }
  const fn = ctx.functions.find((f) => f.functionName === functionName);
  if (!fn) {
    ctx.notEmulated(where, `${type} target (function ${functionName} is not in this stack)`);
    return undefined;
  }
  return { id, functionName: fn.functionName, functionArn: fn.arn, input };
}

function enabledState(ctx: ScheduleContext, value: unknown, where: string): boolean {
  // CloudFormation's default is ENABLED; ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS only widens event-pattern matching.
  return (optionalString(ctx, value, where) ?? 'ENABLED').startsWith('ENABLED');
}

function optionalString(ctx: ScheduleContext, value: unknown, where: string): string | undefined {
  return value === undefined ? undefined : ctx.resolver.resolveString(value, where);
}
