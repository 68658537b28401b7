/**
 * CloudWatch's alarm decision for one evaluation, from the datapoints of the evaluation range:
 * - CloudWatch looks at more periods than EvaluationPeriods (the evaluation range; here
 *   EvaluationPeriods + EXTRA_PERIODS, AWS does not publish its exact number).
 * - If at least EvaluationPeriods real datapoints exist in the range, the newest EvaluationPeriods of
 *   them decide and missing data does not matter: ALARM when at least DatapointsToAlarm breach, else OK.
 * - Otherwise the newest EvaluationPeriods periods are taken and the missing ones are filled as
 *   TreatMissingData says: `breaching` / `notBreaching` count as such; `missing` and `ignore` leave them
 *   out, and the alarm needs min(DatapointsToAlarm, real datapoints) breaching to go to ALARM.
 * - With no real datapoint at all: `missing` → INSUFFICIENT_DATA, `ignore` → the state stays,
 *   `breaching` → ALARM, `notBreaching` → OK.
 */
import type { TreatMissingData } from './alarm-definition';

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export const EXTRA_PERIODS = 2;

/** One period of the evaluation range, newest last; `value` undefined when the period has no data. */
export interface PeriodPoint {
  readonly start: number;
  readonly value: number | undefined;
  readonly breaching: boolean;
}

export interface Decision {
  readonly state: AlarmStateValue;
  /** The datapoints that decided (newest first), for the state reason. */
  readonly considered: readonly PeriodPoint[];
  readonly breachingCount: number;
  readonly needed: number;
}

export function decideState(
  range: readonly PeriodPoint[],
  settings: { readonly evaluationPeriods: number; readonly datapointsToAlarm: number; readonly treatMissingData: TreatMissingData },
  current: AlarmStateValue,
): Decision {
  const { evaluationPeriods: n, datapointsToAlarm: m, treatMissingData } = settings;
  const newestFirst = [...range].reverse();
  const real = newestFirst.filter((p) => p.value !== undefined);
  if (real.length >= n) {
    const considered = real.slice(0, n);
    const breachingCount = considered.filter((p) => p.breaching).length;
    return { state: breachingCount >= m ? 'ALARM' : 'OK', considered, breachingCount, needed: m };
  }
  const window = newestFirst.slice(0, n);
  if (real.length === 0) {
    const state: AlarmStateValue =
      treatMissingData === 'breaching' ? 'ALARM' : treatMissingData === 'notBreaching' ? 'OK' : treatMissingData === 'ignore' ? current : 'INSUFFICIENT_DATA';
    return { state, considered: window, breachingCount: treatMissingData === 'breaching' ? window.length : 0, needed: m };
  }
  if (treatMissingData === 'breaching' || treatMissingData === 'notBreaching') {
    const breachingCount = window.filter((p) => (p.value === undefined ? treatMissingData === 'breaching' : p.breaching)).length;
    return { state: breachingCount >= m ? 'ALARM' : 'OK', considered: window, breachingCount, needed: m };
  }
  const present = window.filter((p) => p.value !== undefined);
  const considered = present.length > 0 ? present : real;
  const breachingCount = considered.filter((p) => p.breaching).length;
  const needed = Math.min(m, considered.length);
  return { state: breachingCount >= needed ? 'ALARM' : 'OK', considered, breachingCount, needed };
}
