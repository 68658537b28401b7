/**
 * What a scheduled target function receives, as AWS sends it:
 *  - an EventBridge rule without Input: the "Scheduled Event" (EventBridge User Guide, field order as on
 *    the wire: version, id, detail-type, source, account, time, region, resources, detail), `time` in
 *    ISO-8601 UTC to the second, `resources` the rule's ARN;
 *  - a rule target with `Input`: that JSON text, parsed; with `InputPath`: the part of the Scheduled
 *    Event it selects (`$` or a dotted path such as `$.detail`);
 *  - an EventBridge Scheduler schedule: its `Input` with the context attributes filled in
 *    (`<aws.scheduler.schedule-arn>`, `<aws.scheduler.scheduled-time>`, `<aws.scheduler.execution-id>`,
 *    `<aws.scheduler.attempt-number>`).
 */
import { randomUUID } from 'node:crypto';
import type { ScheduledEvent } from 'aws-lambda';
import type { ScheduleModel, ScheduleTargetModel } from '../deploy/model';

export interface Occurrence {
  readonly schedule: ScheduleModel;
  /** Wall-clock epoch ms of the invocation (what `time` says, whatever the time scale). */
  readonly at: number;
  readonly account: string;
  readonly region: string;
}

/** ISO-8601 UTC without milliseconds, as EventBridge writes `time`. */
export function eventTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function scheduledEvent(occurrence: Occurrence): ScheduledEvent<Record<string, never>> {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: occurrence.account,
    time: eventTime(occurrence.at),
    region: occurrence.region,
    resources: [occurrence.schedule.arn],
    detail: {},
  };
}

/** The payload for one target of one occurrence. */
export function payloadFor(target: ScheduleTargetModel, occurrence: Occurrence): unknown {
  const input = target.input;
  switch (input.kind) {
    case 'scheduled-event':
      return scheduledEvent(occurrence);
    case 'input-path':
      return selectPath(scheduledEvent(occurrence), input.path);
    case 'input':
      return JSON.parse(occurrence.schedule.type === 'AWS::Scheduler::Schedule' ? withContextAttributes(input.text, occurrence) : input.text) as unknown;
  }
}

/** Scheduler's context attributes, replaced in the Input text before it is sent. */
export function withContextAttributes(text: string, occurrence: Occurrence): string {
  const values: Readonly<Record<string, string>> = {
    '<aws.scheduler.schedule-arn>': occurrence.schedule.arn,
    '<aws.scheduler.scheduled-time>': eventTime(occurrence.at),
    '<aws.scheduler.execution-id>': randomUUID(),
    '<aws.scheduler.attempt-number>': '1',
  };
  return text.replace(/<aws\.scheduler\.[a-z-]+>/g, (name) => values[name] ?? name);
}

/** `$` or `$.a.b`: what EventBridge's InputPath selects; anything else is refused before the schedule starts. */
export function isSupportedInputPath(path: string): boolean {
  return /^\$(\.[A-Za-z0-9_-]+)*$/.test(path);
}

function selectPath(event: unknown, path: string): unknown {
  let value: unknown = event;
  for (const key of path.split('.').slice(1)) value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}
