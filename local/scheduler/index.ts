/**
 * The template's schedules on the local target: EventBridge rules with a ScheduleExpression and
 * EventBridge Scheduler schedules invoke their Lambda targets with AWS's payload, on the target's time
 * scale.
 *
 *   const scheduler = new LocalScheduler({ schedules: deployed.schedules, invoker, clock, account, region });
 *   scheduler.start();   ...   await scheduler.stop();
 */
export { LocalScheduler, InvalidScheduleError, type LocalSchedulerOptions, type SchedulerClock, type ScheduledInvocation } from './scheduler';
export { parseScheduleExpression, InvalidScheduleExpressionError, type ScheduleExpression, type ParseOptions } from './expression';
export { scheduledEvent, payloadFor, eventTime, type Occurrence } from './payload';
