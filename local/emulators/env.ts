/**
 * The environment that points the AWS SDK (and the AWS CLI, cdklocal...) at local endpoints, and the
 * reverse: reading emulator endpoints back from an environment (how test files find the runner's).
 */
import type { EmulatorEndpoints } from '../contracts';

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;

/** Service name → its SDK endpoint variable (AWS's "service-specific endpoints" configuration). */
export const ENDPOINT_VARIABLES = {
  kinesis: 'AWS_ENDPOINT_URL_KINESIS',
  dynamodb: 'AWS_ENDPOINT_URL_DYNAMODB',
  sqs: 'AWS_ENDPOINT_URL_SQS',
  sns: 'AWS_ENDPOINT_URL_SNS',
  s3: 'AWS_ENDPOINT_URL_S3',
  lambda: 'AWS_ENDPOINT_URL_LAMBDA',
  cloudwatch: 'AWS_ENDPOINT_URL_CLOUDWATCH',
} as const;

/** Region, test credentials and quiet SDK, without endpoints. */
export function baseLocalEnv(): Record<string, string> {
  return {
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    // The SDK's documented switch for its "Node < 22 will be unsupported" warning (we run Node 20 here).
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/** Environment that sends every SDK client to the given endpoints. */
export function endpointEnv(endpoints: Partial<Record<keyof typeof ENDPOINT_VARIABLES, string>>): Record<string, string> {
  const env = baseLocalEnv();
  for (const [service, variable] of Object.entries(ENDPOINT_VARIABLES)) {
    const url = endpoints[service as keyof typeof ENDPOINT_VARIABLES];
    if (url !== undefined) env[variable] = url;
  }
  return env;
}

/**
 * The emulator endpoints in an environment (set by test/run-tests.ts), or undefined if any is missing.
 * As in the SDK, a service-specific variable wins over AWS_ENDPOINT_URL (one endpoint for all, e.g. LocalStack).
 */
export function emulatorEndpointsFromEnv(env: NodeJS.ProcessEnv = process.env): EmulatorEndpoints | undefined {
  const kinesis = env[ENDPOINT_VARIABLES.kinesis] ?? env.AWS_ENDPOINT_URL;
  const dynamodb = env[ENDPOINT_VARIABLES.dynamodb] ?? env.AWS_ENDPOINT_URL;
  const sqs = env[ENDPOINT_VARIABLES.sqs] ?? env.AWS_ENDPOINT_URL;
  const sns = env[ENDPOINT_VARIABLES.sns] ?? env.AWS_ENDPOINT_URL;
  const s3 = env[ENDPOINT_VARIABLES.s3] ?? env.AWS_ENDPOINT_URL;
  if (!kinesis || !dynamodb || !sqs || !sns) return undefined;
  return { kinesis, dynamodb, sqs, sns, ...(s3 ? { s3 } : {}) };
}

/**
 * Where a running local target (`stream-pipeline local`) says its emulators themselves are: not the
 * fault proxies and Kinesis gate it serves its users, which a test's own target would otherwise stack
 * its proxies and gate on (the gate refuses the resharding a second gate asks of it). `npm test`
 * (test/run-tests.ts) reuses these emulators instead of starting its own.
 */
export const EMULATOR_VARIABLES = {
  kinesis: 'STREAM_PIPELINE_EMULATOR_KINESIS',
  dynamodb: 'STREAM_PIPELINE_EMULATOR_DYNAMODB',
  sqs: 'STREAM_PIPELINE_EMULATOR_SQS',
  sns: 'STREAM_PIPELINE_EMULATOR_SNS',
  s3: 'STREAM_PIPELINE_EMULATOR_S3',
} as const;

/** The EMULATOR_VARIABLES of running emulators. */
export function emulatorHandoffEnv(endpoints: EmulatorEndpoints): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [service, variable] of Object.entries(EMULATOR_VARIABLES)) {
    const url = endpoints[service as keyof typeof EMULATOR_VARIABLES];
    if (url) env[variable] = url;
  }
  return env;
}

/** The emulators a running local target handed over in EMULATOR_VARIABLES, or undefined if any is missing. */
export function handedOverEmulators(env: NodeJS.ProcessEnv = process.env): EmulatorEndpoints | undefined {
  const { kinesis, dynamodb, sqs, sns, s3 } = EMULATOR_VARIABLES;
  const [k, d, q, n, b] = [env[kinesis], env[dynamodb], env[sqs], env[sns], env[s3]];
  if (!k || !d || !q || !n) return undefined;
  return { kinesis: k, dynamodb: d, sqs: q, sns: n, ...(b ? { s3: b } : {}) };
}
