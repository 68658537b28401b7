/**
 * The registered workloads, one per built-in action the scenario can drive. A new pipeline's workload
 * is one file beside these and one line here.
 */
import type { ActionName } from '../../lib/config';
import { ordersWorkload } from './orders';
import { returnsWorkload } from './returns';
import { telemetryWorkload } from './telemetry';
import type { WorkloadDefinition } from './workload';

export const WORKLOADS: readonly WorkloadDefinition[] = [
  ordersWorkload,
  telemetryWorkload,
  returnsWorkload,
];

/** The workload driving pipelines of `action`, if there is one. */
export function workloadFor(action: ActionName): WorkloadDefinition | undefined {
  return WORKLOADS.find((w) => w.action === action);
}
