/**
 * What the target must set over the template for a run: each driven workload's function environment
 * (./workloads/workload.ts `functionEnvironment`), keyed by the function's deployed name. `npm start` and
 * the scenario test hand it to the local target (LocalAwsOptions.functionEnvironment).
 */
import type { ScenarioPlan } from './plan';
import { deployedNames } from './stage';

export function functionEnvironmentFor(plan: ScenarioPlan, resourceNameSuffix = ''): Record<string, Readonly<Record<string, string>>> {
  const out: Record<string, Readonly<Record<string, string>>> = {};
  for (const { config, workload } of plan.pipelines) {
    const environment = workload.functionEnvironment?.(config);
    if (environment) out[deployedNames(plan.stackName, config.name, resourceNameSuffix).functionName] = environment;
  }
  return out;
}
