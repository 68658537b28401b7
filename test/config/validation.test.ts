/**
 * The pipeline configuration: the shipped file is valid, defaults are filled in, and every bad
 * configuration is refused with a message that names the pipeline, the field and the rule.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ConfigError,
  InvalidConfigError,
  findPipeline,
  iteratorAgeThresholdMs,
  leaseSeconds,
  loadConfig,
  parseConfig,
  pipelineResourceNames,
  stackResourceNames,
  type PipelinesConfigInput,
} from '../../lib/config';

type PipelineInput = PipelinesConfigInput['pipelines'][number];

const pipeline = (overrides: Partial<PipelineInput> = {}): PipelineInput => ({
  name: 'orders',
  description: 'Order status changes',
  action: 'orders',
  ...overrides,
});
const config = (pipelines: PipelineInput[], extra: Partial<PipelinesConfigInput> = {}): PipelinesConfigInput => ({
  stackName: 'StreamPipeline',
  pipelines,
  ...extra,
});

/** The problems parseConfig reports for `input` (fails the test if it accepts it). */
function problemsOf(input: unknown): string[] {
  try {
    parseConfig(input);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `ConfigError expected, got ${String(error)}`);
    assert.ok(error instanceof InvalidConfigError);
    assert.match(error.message, /^Invalid pipeline configuration:\n {2}- /);
    return error.problems;
  }
  assert.fail('the configuration was accepted');
}

describe('the shipped configuration (lib/config/pipelines.ts)', () => {
  test('is valid and declares orders, telemetry and returns', () => {
    const c = loadConfig();
    assert.equal(c.stackName, 'StreamPipeline');
    assert.deepEqual(
      c.pipelines.map((p) => p.name),
      ['orders', 'telemetry', 'returns'],
    );
    const returnsPipeline = findPipeline(c, 'returns');
    assert.deepEqual([returnsPipeline.windows?.keyField, returnsPipeline.windows?.sizeSeconds], ['sku', 600], 'returns counted per SKU over 10-minute windows');
    assert.ok(returnsPipeline.spike, 'the spike rule is configured');
    assert.equal(findPipeline(c, 'telemetry').action, 'telemetry');
    assert.ok(findPipeline(c, 'telemetry').telemetry, 'telemetry thresholds are configured');
  });

  test('findPipeline names the valid pipelines when asked for an unknown one', () => {
    assert.throws(() => findPipeline(loadConfig(), 'payments'), /Unknown pipeline "payments"\. Configured pipelines: orders, telemetry/);
  });
});

describe('defaults', () => {
  const p = parseConfig(config([pipeline()])).pipelines[0]!;

  test('a three-line pipeline gets safe, explicit event source settings', () => {
    assert.deepEqual(p.eventSource, {
      consumer: 'polling',
      batchSize: 100,
      maxBatchingWindowSeconds: 1,
      startingPosition: 'TRIM_HORIZON',
      parallelizationFactor: 1,
      bisectBatchOnFunctionError: true,
      maxRetryAttempts: 5,
      maxRecordAgeSeconds: 3600,
      reportBatchItemFailures: true,
    });
  });

  test('stream, processor, idempotency and alarm defaults', () => {
    assert.deepEqual(p.stream, { mode: 'ON_DEMAND', retentionHours: 24 });
    assert.deepEqual(p.processor, { memoryMb: 512, timeoutSeconds: 60, logLevel: 'INFO', logRetentionDays: 30, keyConcurrency: 16, timeMarginMs: 5000, clockSkewAllowanceSeconds: 300 });
    assert.equal(p.idempotency.ttlHours, 48);
    assert.deepEqual(p.alarms, { latencyObjectiveMs: 5000, latencyMinLateEvents: 2, dlqOldestMessageAgeSeconds: 3600, periodSeconds: 60, evaluationPeriods: 3 });
  });

  test('derived values: iterator age threshold is twice the objective, the lease is the timeout', () => {
    assert.equal(iteratorAgeThresholdMs(p), 10_000);
    assert.equal(leaseSeconds(p), 60);
    const explicit = parseConfig(config([pipeline({ eventSource: { maxBatchingWindowSeconds: 0 }, alarms: { latencyObjectiveMs: 1000, iteratorAgeThresholdMs: 1500 }, idempotency: { leaseSeconds: 90 } })]))
      .pipelines[0]!;
    assert.equal(iteratorAgeThresholdMs(explicit), 1500);
    assert.equal(leaseSeconds(explicit), 90);
  });

  test('no alarm notifications unless configured', () => {
    assert.deepEqual(parseConfig(config([pipeline()])).alarmNotifications, { emails: [], httpsEndpoints: [] });
  });
});

describe('physical names', () => {
  test('derive from the stack and pipeline names', () => {
    assert.deepEqual(pipelineResourceNames('StreamPipeline', 'orders'), {
      streamName: 'StreamPipeline-orders-events',
      dlqName: 'StreamPipeline-orders-dlq',
      idempotencyTableName: 'StreamPipeline-orders-idempotency',
      functionName: 'StreamPipeline-orders-processor',
      stateTableName: 'StreamPipeline-orders-state',
      alertsTopicName: 'StreamPipeline-orders-alerts',
      consumerName: 'StreamPipeline-orders-processor',
      alarmNamePrefix: 'StreamPipeline-orders-',
    });
    assert.deepEqual(stackResourceNames('StreamPipeline'), { alarmTopicName: 'StreamPipeline-alarms', dashboardName: 'StreamPipeline-pipelines' });
  });
});

describe('bad configurations are refused with a clear message', () => {
  const cases: [string, unknown, RegExp][] = [
    [
      'an unknown key (a typo)',
      config([pipeline({ eventSource: { batchsize: 10 } as never })]),
      /^pipelines\[0\]\(orders\)\.eventSource: Unrecognized key: "batchsize"$/,
    ],
    ['an unknown top-level key', { ...config([pipeline()]), pipeline: [] }, /^\(configuration\): Unrecognized key: "pipeline"$/],
    [
      'a retention shorter than the maximum record age',
      config([pipeline({ stream: { retentionHours: 24 }, eventSource: { maxRecordAgeSeconds: 86_400 } })]),
      /^pipelines\[0\]\(orders\)\.eventSource\.maxRecordAgeSeconds: \(86400s\) must be shorter than the stream retention \(24h = 86400s\)/,
    ],
    ['a batch size above 10,000', config([pipeline({ eventSource: { batchSize: 10_001 } })]), /^pipelines\[0\]\(orders\)\.eventSource\.batchSize: Too big: expected number to be <=10000$/],
    ['a batch size of zero', config([pipeline({ eventSource: { batchSize: 0 } })]), /^pipelines\[0\]\(orders\)\.eventSource\.batchSize: Too small: expected number to be >=1$/],
    ['a latency objective of zero', config([pipeline({ alarms: { latencyObjectiveMs: 0 } })]), /^pipelines\[0\]\(orders\)\.alarms\.latencyObjectiveMs: must be greater than zero$/],
    [
      'no late event needed before the latency alarm counts a period (0)',
      config([pipeline({ alarms: { latencyMinLateEvents: 0 } })]),
      /^pipelines\[0\]\(orders\)\.alarms\.latencyMinLateEvents: Too small: expected number to be >=1$/,
    ],
    ['a fractional number of late events', config([pipeline({ alarms: { latencyMinLateEvents: 1.5 } })]), /^pipelines\[0\]\(orders\)\.alarms\.latencyMinLateEvents: Invalid input: expected int, received number$/],
    [
      'duplicate pipeline names',
      config([pipeline(), pipeline({ description: 'again' })]),
      /^pipelines\[1\]\(orders\)\.name: "orders" is declared more than once; pipeline names must be unique$/,
    ],
    [
      'a provisioned stream without a shard count',
      config([pipeline({ stream: { mode: 'PROVISIONED' } })]),
      /^pipelines\[0\]\(orders\)\.stream\.shardCount: is required when mode is PROVISIONED$/,
    ],
    [
      'a shard count on an on-demand stream',
      config([pipeline({ stream: { mode: 'ON_DEMAND', shardCount: 2 } })]),
      /^pipelines\[0\]\(orders\)\.stream\.shardCount: only applies when mode is PROVISIONED$/,
    ],
    ['a retention under 24 hours', config([pipeline({ stream: { retentionHours: 12 } })]), /^pipelines\[0\]\(orders\)\.stream\.retentionHours: Too small: expected number to be >=24$/],
    [
      'a maximum record age below what Lambda accepts',
      config([pipeline({ eventSource: { maxRecordAgeSeconds: 30 } })]),
      /^pipelines\[0\]\(orders\)\.eventSource\.maxRecordAgeSeconds: Too small: expected number to be >=60$/,
    ],
    [
      'unbounded retries (-1)',
      config([pipeline({ eventSource: { maxRetryAttempts: -1 } })]),
      /^pipelines\[0\]\(orders\)\.eventSource\.maxRetryAttempts: Too small: expected number to be >=0$/,
    ],
    [
      'a parallelization factor above 10',
      config([pipeline({ eventSource: { parallelizationFactor: 11 } })]),
      /^pipelines\[0\]\(orders\)\.eventSource\.parallelizationFactor: Too big: expected number to be <=10$/,
    ],
    [
      'an idempotency TTL shorter than the stream retention',
      config([pipeline({ stream: { retentionHours: 72 }, idempotency: { ttlHours: 48 } })]),
      /^pipelines\[0\]\(orders\)\.idempotency\.ttlHours: \(48h\) must be at least the stream retention \(72h\), or a replay of retained records would run their actions twice$/,
    ],
    [
      'a lease shorter than the processor timeout',
      config([pipeline({ processor: { timeoutSeconds: 120 }, idempotency: { leaseSeconds: 60 } })]),
      /^pipelines\[0\]\(orders\)\.idempotency\.leaseSeconds: \(60s\) must be at least the processor timeout \(120s\)/,
    ],
    [
      'a time margin as long as the timeout',
      config([pipeline({ processor: { timeoutSeconds: 5, timeMarginMs: 5000 } })]),
      /^pipelines\[0\]\(orders\)\.processor\.timeMarginMs: must be shorter than the processor timeout$/,
    ],
    ['a log retention CloudWatch does not offer', config([pipeline({ processor: { logRetentionDays: 10 as never } })]), /^pipelines\[0\]\(orders\)\.processor\.logRetentionDays: /],
    ['an alarm period that is not a multiple of 60', config([pipeline({ alarms: { periodSeconds: 90 } })]), /^pipelines\[0\]\(orders\)\.alarms\.periodSeconds: must be a multiple of 60$/],
    ['a telemetry pipeline without thresholds', config([pipeline({ name: 'telemetry', action: 'telemetry' })]), /^pipelines\[0\]\(telemetry\)\.telemetry: is required for the telemetry action$/],
    [
      'telemetry settings on another action',
      config([pipeline({ telemetry: { thresholds: { temperatureC: { max: 90 } } } })]),
      /^pipelines\[0\]\(orders\)\.telemetry: only applies to the telemetry action$/,
    ],
    ['an unknown action', config([pipeline({ action: 'payments' as never })]), /^pipelines\[0\]\(orders\)\.action: must be one of orders, telemetry, returns, noop, or \{ entry, kind \} for an action of your own$/],
    [
      'an action of your own that names no script',
      config([pipeline({ action: { entry: './src/handler.py', kind: 'transactional' } })]),
      /^pipelines\[0\]\(orders\)\.action\.entry: must name a TypeScript or JavaScript file/,
    ],
    [
      'an action of your own of a kind only built-ins have',
      config([pipeline({ action: { entry: './src/handler.ts', kind: 'windowed' as never } })]),
      /^pipelines\[0\]\(orders\)\.action\.kind: must be one of transactional, external \(windowed actions are built in only\)$/,
    ],
    [
      'an action of your own with a handler name that is no identifier',
      config([pipeline({ action: { entry: './src/handler.ts', kind: 'external', handler: 'my-handler' } })]),
      /^pipelines\[0\]\(orders\)\.action\.handler: must be a JavaScript identifier$/,
    ],
    [
      'windows on an action of your own',
      config([pipeline({ action: { entry: './src/handler.ts', kind: 'transactional' }, windows: {} })]),
      /^pipelines\[0\]\(orders\)\.windows: only applies to windowed actions/,
    ],
    ['an upper-case pipeline name', config([pipeline({ name: 'Orders' })]), /^pipelines\[0\]\(Orders\)\.name: must be 1–31 lower-case letters, digits or dashes, starting with a letter$/],
    ['no pipelines', config([]), /^pipelines: must declare at least one pipeline$/],
    ['an invalid stack name', config([pipeline()], { stackName: '1-stack' }), /^stackName: must be a valid CloudFormation stack name/],
    ['an invalid alarm e-mail', config([pipeline()], { alarmNotifications: { emails: ['on-call'] } }), /^alarmNotifications\.emails\[0\]: Invalid email address$/],
    [
      'a plain-HTTP alarm endpoint',
      config([pipeline()], { alarmNotifications: { httpsEndpoints: ['http://pager.example.com'] } }),
      /^alarmNotifications\.httpsEndpoints\[0\]: Invalid URL$/,
    ],
    [
      'names longer than AWS accepts (Lambda function names: 64 characters)',
      config([pipeline({ name: 'order-status-changes-for-erp' })], { stackName: 'CompanyWideStreamingPlatformProduction' }),
      /^pipelines\[0\]\(order-status-changes-for-erp\)\.name: makes functionName "CompanyWideStreamingPlatformProduction-order-status-changes-for-erp-processor" 77 characters long; AWS allows 64/,
    ],
  ];

  for (const [what, input, expected] of cases) {
    test(what, () => {
      const problems = problemsOf(input);
      assert.ok(
        problems.some((problem) => expected.test(problem)),
        `expected a problem matching ${expected}, got:\n${problems.join('\n')}`,
      );
    });
  }

  test('a batching window that alone reaches the latency objective is refused, with the largest window that fits', () => {
    const [problem, ...rest] = problemsOf(config([pipeline({ eventSource: { maxBatchingWindowSeconds: 5 }, alarms: { latencyObjectiveMs: 5000 } })]));
    assert.deepEqual(rest, []);
    assert.equal(
      problem,
      'pipelines[0](orders).eventSource.maxBatchingWindowSeconds: (5s) alone reaches the latency objective (alarms.latencyObjectiveMs = 5000 ms): an event can wait the whole window before its batch is even invoked, so the objective is missed before delivery and processing count; set at most 4s, or raise the objective',
    );
    assert.match(problemsOf(config([pipeline({ eventSource: { maxBatchingWindowSeconds: 1 }, alarms: { latencyObjectiveMs: 800 } })]))[0] ?? '', /\(1s\) alone reaches the latency objective .*set at most 0s/);
    // A window below the objective, and no window at all under any objective, are accepted.
    assert.doesNotThrow(() => parseConfig(config([pipeline({ eventSource: { maxBatchingWindowSeconds: 4 }, alarms: { latencyObjectiveMs: 5000 } })])));
    assert.doesNotThrow(() => parseConfig(config([pipeline({ eventSource: { maxBatchingWindowSeconds: 0, consumer: 'efo' }, alarms: { latencyObjectiveMs: 300 } })])));
  });

  test('the consumer mode is polling or efo', () => {
    assert.equal(parseConfig(config([pipeline({ eventSource: { consumer: 'efo' } })])).pipelines[0]!.eventSource.consumer, 'efo');
    assert.match(problemsOf(config([pipeline({ eventSource: { consumer: 'push' as never } })]))[0] ?? '', /^pipelines\[0\]\(orders\)\.eventSource\.consumer: Invalid option: expected one of "polling"\|"efo"$/);
  });

  test('every problem is reported at once, not only the first', () => {
    const problems = problemsOf(
      config([pipeline({ eventSource: { batchSize: 0 }, alarms: { latencyObjectiveMs: 0 } }), pipeline({ name: 'telemetry', action: 'telemetry' })]),
    );
    assert.equal(problems.length, 3, problems.join('\n'));
  });
});
