/**
 * The adoption example (examples/adopter-app) as a team would use the package: this repository packed
 * with `npm pack` (prepack builds dist/), the example type-checked against the packed declarations,
 * synthesized by its own app with cdk-nag, deployed on the local target (itself taken from the packed
 * package) and fed events by the packed producer client; the team's own action must count every view
 * exactly once and dead-letter the view it cannot count, once.
 *
 * How the example finds its dependencies here, with no registry inside `npm test`: the package is the
 * tarball, unpacked into examples/adopter-app/node_modules/stream-pipeline (what `npm install <tarball>`
 * puts there; git ignores it); the example's third-party dependencies (aws-cdk-lib, constructs, cdk-nag,
 * esbuild, tsx, typescript, the AWS SDK) are the root's, found by Node's and esbuild's resolution walking up
 * from examples/adopter-app to the root node_modules, as in an npm workspace. Nothing is resolved by path
 * tricks (no NODE_PATH, no symlink to the sources): the example sees only what the tarball holds.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueUrlCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type * as ClientModule from '../../client';
import type * as LocalModule from '../../local';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '..', '..');
const EXAMPLE = join(ROOT, 'examples', 'adopter-app');
const INSTALLED = join(EXAMPLE, 'node_modules', 'stream-pipeline');
const STACK_NAME = 'PageViews';
const PAGE_VIEWED = 'com.example.page.viewed';
/** Generous: on a loaded machine packing (a full tsc build) and bundling take minutes. */
const STEP_TIMEOUT_MS = 15 * 60_000;

// The packed entry points have the sources' types (their declarations are built from them).
type LocalEntry = typeof LocalModule;
type ClientEntry = typeof ClientModule;

interface ValidationReport {
  readonly pluginReports: readonly { readonly pluginName: string; readonly violations: readonly { readonly ruleName: string; readonly violatingConstructs: readonly { readonly constructPath: string }[] }[] }[];
}

describe('examples/adopter-app: a team app on the packed package', { timeout: 4 * STEP_TIMEOUT_MS }, () => {
  const work = mkdtempSync(join(tmpdir(), 'adopter-app-'));
  const cdkOut = join(work, 'cdk.out');
  let typecheck: { code: number; output: string };
  let local: Awaited<ReturnType<LocalEntry['startLocalAws']>> | undefined;

  before(async () => {
    const packed = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, timeout: STEP_TIMEOUT_MS });
    const [{ filename }] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as [{ filename: string }];
    rmSync(INSTALLED, { recursive: true, force: true });
    mkdirSync(INSTALLED, { recursive: true });
    await run('tar', ['-xzf', join(work, filename), '-C', INSTALLED, '--strip-components=1']);

    typecheck = await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(EXAMPLE, 'tsconfig.json')], { cwd: EXAMPLE, timeout: STEP_TIMEOUT_MS }).then(
      (r) => ({ code: 0, output: r.stdout + r.stderr }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? 1, output: `${error.stdout ?? ''}${error.stderr ?? ''}` }),
    );
    // The team's app, run as `cdk synth` runs it (CDK_OUTDIR is how the CLI tells an app where to write).
    await run(process.execPath, ['--import', 'tsx', join('bin', 'app.ts')], { cwd: EXAMPLE, env: { ...process.env, CDK_OUTDIR: cdkOut }, timeout: STEP_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
  });
  after(async () => {
    await local?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('packs built JavaScript and declarations for every entry point, and no TypeScript sources', () => {
    const manifest = JSON.parse(readFileSync(join(INSTALLED, 'package.json'), 'utf8')) as { exports: Record<string, string | { types: string; default: string }> };
    for (const [entry, target] of Object.entries(manifest.exports)) {
      const files = typeof target === 'string' ? [target] : [target.types, target.default];
      for (const file of files) assert.ok(existsSync(join(INSTALLED, file)), `${entry}: ${file} is in the tarball`);
    }
    assert.deepEqual(Object.keys(manifest.exports).sort(), ['.', './client', './constructs', './local', './package.json', './processor']);
    assert.equal(existsSync(join(INSTALLED, 'lib', 'constructs', 'event-pipeline.ts')), false, 'sources are not packed');
  });

  it("type-checks the team's action and app against the packed declarations", () => {
    assert.equal(typecheck.code, 0, typecheck.output);
  });

  it('synthesizes with cdk-nag AwsSolutions and no finding', () => {
    const report = JSON.parse(readFileSync(join(cdkOut, 'validation-report.json'), 'utf8')) as ValidationReport;
    assert.ok(report.pluginReports.some((r) => r.pluginName === 'AwsSolutions'), 'the AwsSolutions pack ran');
    const open = report.pluginReports.flatMap((r) => r.violations.map((v) => `${r.pluginName} ${v.ruleName} at ${v.violatingConstructs.map((c) => c.constructPath).join(', ')}`));
    assert.deepEqual(open, []);
  });

  it("deployed on the local target, counts every view exactly once and dead-letters the one it cannot count, once", async () => {
    // The local target and the producer as a team takes them: from the package's entry points.
    const { startLocalAws, emulatorEndpointsFromEnv } = require(join(INSTALLED, 'dist', 'local', 'index.js')) as LocalEntry;
    const { EventProducer } = require(join(INSTALLED, 'dist', 'client', 'index.js')) as ClientEntry;
    const suffix = `-ex${randomBytes(2).toString('hex')}`;
    local = await startLocalAws({ cdkOut, stackName: STACK_NAME, emulators: emulatorEndpointsFromEnv(), verbose: false, resourceNameSuffix: suffix, pollIntervalMs: 250 });
    const physical = (type: string, suffixOfName: string): string => {
      const found = Object.values(local!.resources).filter((r) => r.type === type && r.physicalId.endsWith(`${suffixOfName}${suffix}`));
      assert.equal(found.length, 1, `one ${type} named *${suffixOfName}${suffix}`);
      return found[0]!.physicalId;
    };
    const streamName = physical('AWS::Kinesis::Stream', '-page-views-events');
    const stateTable = physical('AWS::DynamoDB::Table', '-page-views-state');
    const idempotencyTable = physical('AWS::DynamoDB::Table', '-page-views-idempotency');

    const runId = randomUUID().slice(0, 8);
    const views = { [`home-${runId}`]: 5, [`pricing-${runId}`]: 3, [`docs-${runId}`]: 2 };
    const producer = new EventProducer({ stream: { streamName }, source: 'com.example.web', lingerMs: 20 });
    const sent = [];
    for (const [page, count] of Object.entries(views)) {
      for (let i = 0; i < count; i += 1) sent.push((await producer.send({ type: PAGE_VIEWED, subject: page, data: { page } })).event);
    }
    // Producer retries and redeliveries: the same events again (same id), which must not count twice.
    for (const event of sent.slice(0, 4)) await producer.send({ ...event });
    const poison = (await producer.send({ type: PAGE_VIEWED, subject: `nowhere-${runId}`, data: { page: '' } })).event;
    await producer.close();

    const dynamodb = new DynamoDBClient({});
    // The queue URL names the emulator's own host; the client keeps to the endpoint of the environment.
    const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
    try {
      const counts = async (): Promise<Record<string, number>> => {
        const items = (await dynamodb.send(new ScanCommand({ TableName: stateTable, ConsistentRead: true }))).Items ?? [];
        return Object.fromEntries(items.map((item) => unmarshall(item)).filter((i) => typeof i.page === 'string' && i.page.endsWith(runId)).map((i) => [i.page as string, i.views as number]));
      };
      const keys = async (): Promise<number> => (await dynamodb.send(new ScanCommand({ TableName: idempotencyTable, ConsistentRead: true, Select: 'COUNT' }))).Count ?? 0;
      // Every distinct event has its key once all are handled: the views and the poison one.
      const distinct = sent.length + 1;
      const deadline = Date.now() + 180_000;
      while ((await keys()) < distinct && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
      assert.equal(await keys(), distinct, 'every distinct event was handled once');
      assert.deepEqual(await counts(), views);

      const queueUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: `${STACK_NAME}-page-views-dlq${suffix}` }))).QueueUrl!;
      const messages = [];
      for (let round = 0; round < 3; round += 1) {
        const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 60 }));
        messages.push(...(received.Messages ?? []));
      }
      assert.equal(messages.length, 1, 'the DLQ holds the poison view once');
      const message = JSON.parse(messages[0]!.Body!) as { reason: string; error: string; record: { data?: string } };
      assert.equal(message.reason, 'action-rejected');
      assert.match(message.error, /data\.page must be a non-empty string/);
      assert.equal((JSON.parse(Buffer.from(message.record.data!, 'base64').toString()) as { id: string }).id, poison.id);
    } finally {
      dynamodb.destroy();
      sqs.destroy();
    }
  });
});
