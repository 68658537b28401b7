/**
 * THE file a platform engineer edits: every pipeline this stack deploys.
 *
 * It is plain data, validated by `parseConfig` (see ./schema.ts for every field and its default).
 * The CDK stack, the embedded local target, the operator CLI, `npm start` and the tests all read it
 * through `loadConfig()`, so a setting changed here changes everywhere at once.
 */
import type { PipelinesConfigInput } from './schema';

export const pipelinesConfig: PipelinesConfigInput = {
  stackName: 'StreamPipeline',
  alarmNotifications: {
    // Add the on-call addresses here; each gets ALARM and OK notifications.
    emails: [],
    httpsEndpoints: [],
  },
  pipelines: [
    {
      name: 'orders',
      description: 'Order status changes applied to the current-state table for downstream systems',
      action: 'orders',
      stream: { mode: 'ON_DEMAND', retentionHours: 24 },
      eventSource: {
        batchSize: 100,
        maxBatchingWindowSeconds: 1,
        startingPosition: 'TRIM_HORIZON',
        parallelizationFactor: 1,
        bisectBatchOnFunctionError: true,
        maxRetryAttempts: 5,
        maxRecordAgeSeconds: 3600,
        reportBatchItemFailures: true,
      },
      alarms: { latencyObjectiveMs: 5000 },
    },
    {
      name: 'telemetry',
      description: 'Equipment readings checked against thresholds; breaches alert operations',
      action: 'telemetry',
      stream: { mode: 'ON_DEMAND', retentionHours: 24 },
      // A 3 s objective leaves no room for a window beside polling's 1 s and a batch (README "Batching chosen for the objective").
      eventSource: { batchSize: 200, maxBatchingWindowSeconds: 0, parallelizationFactor: 2 },
      alarms: { latencyObjectiveMs: 3000 },
      telemetry: {
        thresholds: {
          temperatureC: { max: 90 },
          vibrationMmS: { max: 8 },
          pressureBar: { min: 1, max: 12 },
        },
        incidentWindowSeconds: 900,
      },
    },
    {
      name: 'returns',
      description: 'Order returns counted per SKU over event-time windows; an abnormal spike alerts while it happens',
      action: 'returns',
      stream: { mode: 'ON_DEMAND', retentionHours: 24 },
      eventSource: { batchSize: 100, maxBatchingWindowSeconds: 1 },
      alarms: { latencyObjectiveMs: 5000 },
      windows: {
        keyField: 'sku',
        sizeSeconds: 600,
        sumFields: ['amount'],
        topField: 'reason',
        outOfOrderSeconds: 60,
        allowedLatenessSeconds: 300,
        idleTimeoutSeconds: 120,
        resultRetentionHours: 168,
      },
      spike: { minimumVolume: 20, factor: 3, baselineWeight: 0.3, topValues: 3 },
    },
  ],
};
