/**
 * `stream-pipeline local` as a user runs it: a child process that starts its own emulators, deploys the
 * synthesized stack (cdk.out, made by npm test), prints the environment and stays up. The CLI, pointed
 * at it by that environment alone, lists the stack's alarms and walks the on-call runbook (a poison
 * record in `dlq list`, `dlq show`, `dlq replay`), a valid event is applied, and after SIGINT nothing is
 * left: every process it started is gone and every port it listened on is free.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { loadConfig, pipelineResourceNames } from '../../lib/config';
import { EMULATOR_VARIABLES, ENDPOINT_VARIABLES, isPortListening } from '../../local/emulators';
import { jsonOf, runCli } from './support/run-cli';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin/stream-pipeline.js');
const CDK_OUT = join(ROOT, 'cdk.out');
const { stackName } = loadConfig();
const names = pipelineResourceNames(stackName, 'orders');
/** Start-up includes DynamoDB Local's JVM: 20-50 s on a loaded 2-core machine. */
const READY_TIMEOUT_MS = 300_000;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Five consecutive free ports below the ephemeral range (where the OS hands out the free ones). */
async function freePortBase(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 10_000);
    const busy = await Promise.all([0, 1, 2, 3, 4].map((i) => isPortListening(base + i)));
    if (!busy.some(Boolean)) return base;
  }
  throw new Error('found no five free consecutive ports');
}

/** Every process below `root` now (read from /proc). */
function descendants(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name may hold spaces and parentheses: the fields after its last ')' are fixed.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    for (const [child, parent] of parentOf) {
      if (parent !== pid) continue;
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** Ports on which one of `pids` listens (`ss -ltnp`). */
function listeningPorts(pids: ReadonlySet<number>): number[] {
  const out = spawnSync('ss', ['-ltnpH'], { encoding: 'utf8' }).stdout;
  const ports = new Set<number>();
  for (const line of out.split('\n')) {
    const owners = [...line.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
    if (!owners.some((pid) => pids.has(pid))) continue;
    const local = line.trim().split(/\s+/)[3] ?? '';
    ports.add(Number(local.slice(local.lastIndexOf(':') + 1)));
  }
  return [...ports];
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

/** `export KEY=value` lines back into an environment (values as printed: unquoted or single-quoted). */
function parseExports(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const match of text.matchAll(/^export ([A-Z0-9_]+)=(.*)$/gm)) env[match[1]!] = match[2]!.replace(/^'(.*)'$/, '$1');
  return env;
}

function parseEnvFile(text: string): Record<string, string> {
  return Object.fromEntries(text.trim().split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
}

describe('stream-pipeline local: a long-running local AWS the CLI can target', () => {
  let child: ChildProcess;
  let stdout = '';
  let stderr = '';
  let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  let base: number;
  let env: Record<string, string>;
  let dir: string;
  let envFile: string;
  let dynamodb: DynamoDBClient | undefined;

  before(async () => {
    assert.ok(existsSync(join(CDK_OUT, 'manifest.json')), 'run through npm test: cdk.out is synthesized first');
    base = await freePortBase();
    dir = mkdtempSync(join(tmpdir(), 'sp-local-'));
    envFile = join(dir, 'local.env');
    // Nothing of the runner's emulators may leak in: the command must start and stop its own.
    const childEnv: NodeJS.ProcessEnv = { ...process.env };
    for (const variable of [...Object.values(ENDPOINT_VARIABLES), ...Object.values(EMULATOR_VARIABLES), 'AWS_ENDPOINT_URL']) delete childEnv[variable];
    child = spawn(process.execPath, [BIN, 'local', '--app', CDK_OUT, '--stack', stackName, '--port-base', String(base), '--write-env', envFile, '--time-scale', '60'], {
      cwd: dir,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    // Alarm state changes go on for as long as it runs: keep the start and the end.
    child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-20_000)));
    exited = new Promise((resolvePromise) => child.once('exit', (code, signal) => resolvePromise({ code, signal })));
    let gone = false;
    void exited.then(() => (gone = true));
    await waitFor('the ready line', async () => (gone ? Promise.reject(new Error(`local exited early: ${stderr}`)) : /^\[local-aws\] ready:/m.test(stderr) ? true : undefined), READY_TIMEOUT_MS);
    env = parseExports(stdout);
    dynamodb = new DynamoDBClient({ region: env.AWS_REGION, credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! }, endpoint: env.AWS_ENDPOINT_URL_DYNAMODB });
  });

  after(async () => {
    dynamodb?.destroy();
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const cli = (args: string[], input?: string) => runCli(args, { env, ...(input !== undefined ? { input } : {}) });

  it('prints the environment to export (endpoints on the fixed ports, region, test credentials) and writes the same to --write-env', () => {
    assert.equal(env.AWS_ENDPOINT_URL_KINESIS, `http://127.0.0.1:${base}`);
    assert.equal(env.AWS_ENDPOINT_URL_DYNAMODB, `http://127.0.0.1:${base + 1}`);
    assert.equal(env.AWS_ENDPOINT_URL_SQS, `http://127.0.0.1:${base + 2}`);
    assert.equal(env.AWS_ENDPOINT_URL_SNS, `http://127.0.0.1:${base + 3}`);
    assert.equal(env.AWS_ENDPOINT_URL_S3, `http://127.0.0.1:${base + 3}`);
    assert.equal(env.AWS_ENDPOINT_URL_LAMBDA, `http://127.0.0.1:${base + 4}`);
    assert.equal(env.AWS_ENDPOINT_URL_CLOUDWATCH, `http://127.0.0.1:${base + 4}`);
    assert.equal(env.AWS_REGION, 'us-east-1');
    assert.equal(env.AWS_ACCESS_KEY_ID, 'test');
    for (const variable of Object.values(EMULATOR_VARIABLES)) assert.match(env[variable] ?? '', /^http:\/\/127\.0\.0\.1:\d+$/, variable);
    assert.deepEqual(parseEnvFile(readFileSync(envFile, 'utf8')), env);
  });

  it('alarms: the CLI lists every alarm of the template, by the configured names', async () => {
    const template = JSON.parse(readFileSync(join(CDK_OUT, `${stackName}.template.json`), 'utf8')) as { Resources: Record<string, { Type: string }> };
    const inTemplate = Object.values(template.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm').length;
    const run = await cli(['alarms', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const { alarms } = jsonOf<{ alarms: Array<{ name: string; state: string }> }>(run);
    assert.equal(alarms.length, inTemplate);
    assert.ok(alarms.every((a) => a.name.startsWith(`${stackName}-`) && ['OK', 'ALARM', 'INSUFFICIENT_DATA'].includes(a.state)));
  });

  it('the runbook end to end: a valid event is applied, a poison record shows in dlq list and dlq show, and dlq replay puts it back (dead-lettered again, never lost)', async () => {
    const events = [
      { type: 'order.status-changed', subject: 'order-local-ok', data: { status: 'paid' } },
      { type: 'order.status-changed', subject: 'order-local-bad', data: { note: 'no status' } },
    ];
    const put = await cli(['put', '--pipeline', 'orders', '--json'], events.map((e) => JSON.stringify(e)).join('\n'));
    assert.equal(put.code, 0, put.stderr);
    const [okEvent, badEvent] = jsonOf<{ events: Array<{ id: string; ok: boolean }> }>(put).events;
    assert.ok(okEvent!.ok && badEvent!.ok);

    const applied = await waitFor('the valid order applied', async () => {
      const { Item } = await dynamodb!.send(new GetItemCommand({ TableName: names.stateTableName, Key: { pk: { S: 'order-local-ok' } }, ConsistentRead: true }));
      return Item;
    });
    assert.equal(applied.status?.S, 'paid');
    assert.equal(applied.eventId?.S, okEvent!.id);

    type Listed = { messages: Array<{ messageId: string; kind: string; reason?: string; event?: { id: string } | null }> };
    const poisonOf = (list: Listed, except?: string) => list.messages.find((m) => m.kind === 'poison-record' && m.event?.id === badEvent!.id && m.messageId !== except);
    const listed = await waitFor('the poison record in dlq list', async () => {
      const run = await cli(['dlq', 'list', '--pipeline', 'orders', '--json']);
      assert.equal(run.code, 0, run.stderr);
      return poisonOf(jsonOf<Listed>(run));
    });
    assert.equal(listed.reason, 'action-rejected');

    const show = await cli(['dlq', 'show', '--pipeline', 'orders', listed.messageId, '--json']);
    assert.equal(show.code, 0, show.stderr);
    const shown = jsonOf<{ messageId: string; reason: string; payload: unknown }>(show);
    assert.equal(shown.messageId, listed.messageId);
    assert.equal(shown.reason, 'action-rejected');
    assert.match(JSON.stringify(shown.payload), /no status/, 'the payload is shown');

    const replay = await cli(['dlq', 'replay', '--pipeline', 'orders', '--message-id', listed.messageId, '--json']);
    assert.equal(replay.code, 0, replay.stderr + replay.stdout);
    assert.deepEqual(jsonOf<{ results: Array<{ outcome: string }> }>(replay).results.map((r) => r.outcome), ['replayed']);
    // Still invalid: the processor dead-letters it again, as a new message; the replayed one is gone.
    const again = await waitFor('the replayed poison record dead-lettered again', async () => {
      const list = jsonOf<Listed>(await cli(['dlq', 'list', '--pipeline', 'orders', '--json']));
      return poisonOf(list, listed.messageId) && !list.messages.some((m) => m.messageId === listed.messageId) ? list : undefined;
    });
    assert.equal(again.messages.filter((m) => m.event?.id === badEvent!.id).length, 1, 'once in the DLQ');
  });

  it('SIGINT stops everything: exit code 0, every process it started gone, every port it listened on free, the env file removed', async () => {
    const pids = descendants(child.pid!);
    const ports = listeningPorts(new Set([child.pid!, ...pids]));
    // The five fixed ports and the emulators' own: what must be released.
    for (let i = 0; i < 5; i++) assert.ok(ports.includes(base + i), `port ${base + i} is held by the target (held: ${ports.join(', ')})`);
    assert.ok(ports.length >= 7, `the emulators listen too (held: ${ports.join(', ')})`);
    assert.ok(pids.length >= 3, `the emulators are child processes (${pids.length} found)`);

    child.kill('SIGINT');
    const { code, signal } = await exited;
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, stderr.slice(-3000));
    assert.match(stderr, /SIGINT: stopping the local AWS/);
    // Killed processes re-parented to init are reaped a moment later.
    await waitFor('every process gone', async () => (pids.every((pid) => !alive(pid)) ? true : undefined), 15_000).catch(() => undefined);
    assert.deepEqual(pids.filter(alive), [], 'processes left behind');
    const stillListening = [];
    for (const port of ports) if (await isPortListening(port)) stillListening.push(port);
    assert.deepEqual(stillListening, [], 'ports still listening');
    assert.equal(existsSync(envFile), false, 'the env file is removed with the endpoints it names');
  });
});
