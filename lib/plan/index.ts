/**
 * Capacity and cost planning (`npx stream-pipeline plan`). It lives in lib/ because it reads what lib/
 * owns: the pipeline configuration (lib/config) and the alarm table (lib/constructs/alarm-specs.ts, plain
 * values, no CDK), plus the metrics contract of lambdas/shared/; the dependency rules let client/ read
 * neither. It imports no CDK and no AWS SDK, so the command starts fast and works offline.
 */
export * from './capacity';
export * from './costs';
export * from './load';
export * from './plan';
export * from './prices';
export * from './processor-figures';
export * from './batching';
