/**
 * The `npm start` scenario (bin/start.ts runs it; test/scenario/ checks it): a run of the product on
 * deployed pipelines, with outages and bad input, reconciled event by event. See ./run.ts for the phases,
 * ./workloads/ and ./steps/ for what can be added.
 */
export { runScenario, newRunId, type RunControl } from './run';
export { planScenario, planTimeline, type ScenarioPlan, type Timeline } from './plan';
export { functionEnvironmentFor } from './target-environment';
export { DEFAULT_OPTIONS, SWITCHES, validateOptions, type ScenarioOptions } from './options';
export type { ScenarioResult } from './phases/report';
export type { ScenarioTarget } from './target-control';
export { formatSummary, type ScenarioSummary } from './view/summary';
export { ScenarioError, InvalidScenarioOptionsError, TargetStateError } from './errors';
