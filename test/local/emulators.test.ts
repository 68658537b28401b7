/**
 * The emulator launcher: every emulator answers real API calls, and nothing (process, port) is left
 * behind after stop() or after the launching process is killed outright.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueUrlCommand, SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { createKinesisClient } from '../../sdk/clients';
import { isAlive } from './support/processes';
import { isPortListening, LOCAL_CREDENTIALS, LOCAL_REGION, startEmulators, type RunningEmulators } from '../../local/emulators';

const client = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };

/** Whether any process of the group still exists (kill -0 on the group). */
function groupAlive(pgid: number): boolean {
  return isAlive(-pgid);
}

async function eventually(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${what} within ${timeoutMs} ms`);
}

describe('startEmulators', () => {
  const stops: RunningEmulators[] = [];
  after(async () => {
    await Promise.all(stops.map((e) => e.stop()));
  });

  it('starts kinesis-local, DynamoDB Local and fauxqs that answer the SDK, and stop() leaves no process or port', async () => {
    const logDir = mkdtempSync(join(tmpdir(), 'emulators-'));
    const emulators = await startEmulators({ logDir });
    stops.push(emulators);

    for (const url of Object.values(emulators.endpoints)) assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(emulators.env.AWS_ENDPOINT_URL_KINESIS, emulators.endpoints.kinesis);
    assert.equal(emulators.env.AWS_ENDPOINT_URL_DYNAMODB, emulators.endpoints.dynamodb);
    assert.equal(emulators.env.AWS_ENDPOINT_URL_SQS, emulators.endpoints.sqs);
    assert.equal(emulators.env.AWS_ENDPOINT_URL_SNS, emulators.endpoints.sns);
    assert.equal(emulators.env.AWS_REGION, 'us-east-1');

    const kinesis = createKinesisClient({ ...client, endpoint: emulators.endpoints.kinesis });
    await kinesis.send(new CreateStreamCommand({ StreamName: 'launcher-check', ShardCount: 1 }));
    const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'launcher-check' }));
    assert.equal(summary.StreamDescriptionSummary?.OpenShardCount, 1);
    kinesis.destroy();

    const dynamodb = new DynamoDBClient({ ...client, endpoint: emulators.endpoints.dynamodb });
    const table = await dynamodb.send(
      new CreateTableCommand({
        TableName: 'launcher-check',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    assert.equal(table.TableDescription?.TableName, 'launcher-check');
    dynamodb.destroy();

    // Queue URLs must point back at the endpoint we were given (not sqs.us-east-1.localhost).
    const sqs = new SQSClient({ ...client, endpoint: emulators.endpoints.sqs });
    const queue = await sqs.send(new CreateQueueCommand({ QueueName: 'launcher-check' }));
    assert.ok(queue.QueueUrl?.startsWith(emulators.endpoints.sqs), `queue URL ${queue.QueueUrl} is not under ${emulators.endpoints.sqs}`);
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.QueueUrl, MessageBody: 'hello' }));
    const byName = await sqs.send(new GetQueueUrlCommand({ QueueName: 'launcher-check' }));
    assert.equal(byName.QueueUrl, queue.QueueUrl);
    sqs.destroy();

    const sns = new SNSClient({ ...client, endpoint: emulators.endpoints.sns });
    const topic = await sns.send(new CreateTopicCommand({ Name: 'launcher-check' }));
    assert.match(topic.TopicArn ?? '', /^arn:aws:sns:us-east-1:\d{12}:launcher-check$/);
    sns.destroy();

    await emulators.stop();
    assert.deepEqual(Object.keys(emulators.processes).sort(), ['dynamodb', 'fauxqs', 'kinesis']);
    for (const [name, proc] of Object.entries(emulators.processes)) {
      assert.ok(proc);
      assert.equal(groupAlive(proc.pid), false, `${name}'s process group ${proc.pid} is still alive`);
      assert.equal(await isPortListening(proc.port), false, `${name}'s port ${proc.port} is still open`);
      assert.match(readFileSync(proc.logFile, 'utf8'), /\[guard\] stopping emulator/, `${name}'s log ${proc.logFile}`);
    }
    await emulators.stop(); // idempotent
  });

  it('kills every emulator when the process that started them dies by SIGKILL (no orphans)', async () => {
    const logDir = mkdtempSync(join(tmpdir(), 'emulators-orphan-'));
    const script = `
      const { startEmulators } = require(${JSON.stringify(join(__dirname, '..', '..', 'local', 'emulators'))});
      startEmulators({ logDir: ${JSON.stringify(logDir)}, only: ['dynamodb', 'fauxqs'] }).then((e) => {
        process.stdout.write(JSON.stringify(e.processes) + '\\n');
        setInterval(() => {}, 1000);
      });`;
    const launcher = spawn(process.execPath, ['--import', 'tsx', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const processes = await new Promise<Record<string, { pid: number; port: number }>>((resolve, reject) => {
      let out = '';
      launcher.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0] ?? '') as Record<string, { pid: number; port: number }>);
      });
      launcher.once('exit', (code) => reject(new Error(`launcher exited early with ${code}`)));
    });
    // A JVM and a Node process under their guards (kinesis-local is guarded the same way as fauxqs).
    assert.deepEqual(Object.keys(processes).sort(), ['dynamodb', 'fauxqs']);
    for (const proc of Object.values(processes)) assert.equal(groupAlive(proc.pid), true);

    launcher.kill('SIGKILL');
    for (const [name, proc] of Object.entries(processes)) {
      await eventually(() => !groupAlive(proc.pid), 10_000, `${name} (group ${proc.pid}) should die with its launcher`);
      await eventually(async () => !(await isPortListening(proc.port)), 5_000, `${name}'s port ${proc.port} should be released`);
    }
  });
});
