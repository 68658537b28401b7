/**
 * `npm start`: the whole product, live, on the embedded local target. Synthesizes the stack, starts
 * the local AWS (emulators, deployed resources, functions, event source mappings, alarms), runs the
 * scenario through the pipelines, prints the summary and writes the HTML report.
 *
 * Exit code: 0 when every valid event was applied exactly once and every poison record is in its DLQ;
 * 1 when anything was lost or applied twice (or the run failed); 130 when interrupted (Ctrl-C).
 */
import { existsSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadConfig } from '../lib/config';
import { synthesize as cdkSynth } from '../lib/synth';
import { emulatorEndpointsFromEnv, startLocalAws, type LocalAws } from '../local';
import { DEFAULT_OPTIONS, formatSummary, functionEnvironmentFor, planScenario, runScenario, SWITCHES, type ScenarioOptions, type ScenarioPlan } from '../scenario';
import { green, red } from '../client/operations/colors';

const positive = (label: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${label} must be a positive number`);
  return n;
};

/** `--no-<kebab-case name>` for a switch named in camel case. */
const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

type Switches = Record<(typeof SWITCHES)[number]['name'], boolean>;

interface CliOptions extends Switches {
  rate: number;
  duration: number;
  pipelines: string;
  consumerOutageSeconds?: number;
  dynamodbOutageSeconds: number;
  dynamodbFault: 'refuse' | 'stall';
  kinesisOutageSeconds: number;
  reshardSeconds?: number;
  timeScale: number;
  seed: number;
  drainTimeout: number;
  json: boolean;
  synth: boolean;
  reportDir: string;
}

function program(): Command {
  const command = new Command('npm start --')
    .description('Runs the example pipelines on the embedded local AWS through a scenario with outages and bad input, then reconciles every event.')
    .option('--rate <events/s>', 'valid events per second, per pipeline', positive('--rate'), DEFAULT_OPTIONS.ratePerSecond)
    .option('--duration <seconds>', 'seconds of load (the drain comes after)', positive('--duration'), DEFAULT_OPTIONS.durationSeconds)
    .option('--pipelines <names>', 'comma-separated pipelines to drive', DEFAULT_OPTIONS.pipelines.join(','));
  // One switch per injection and step (scenario/workloads, scenario/steps).
  for (const { name, skipHelp } of SWITCHES) command.option(`--no-${kebab(name)}`, skipHelp);
  return command
    .option('--consumer-outage-seconds <seconds>', 'length of the consumer outage (default: twice the largest latency objective, or 20% of the load up to 15 s)', positive('--consumer-outage-seconds'))
    .option('--dynamodb-outage-seconds <seconds>', 'length of the DynamoDB outage', positive('--dynamodb-outage-seconds'), DEFAULT_OPTIONS.dynamodbOutageSeconds)
    .addOption(new Option('--dynamodb-fault <mode>', 'how the DynamoDB outage breaks connections').choices(['refuse', 'stall']).default(DEFAULT_OPTIONS.dynamodbFault))
    .option('--kinesis-outage-seconds <seconds>', 'length of the Kinesis outage (refused, then stalled)', positive('--kinesis-outage-seconds'), DEFAULT_OPTIONS.kinesisOutageSeconds)
    .option('--reshard-seconds <seconds>', 'how long the orders stream stays split before it is merged back (default: 10% of the load, at least 6 s)', positive('--reshard-seconds'))
    .option('--time-scale <factor>', 'simulated seconds per real second for alarm periods (60: a 1-minute period lasts 1 s)', positive('--time-scale'), DEFAULT_OPTIONS.timeScale)
    .option('--seed <n>', 'seed of the random choices (same seed, same events)', positive('--seed'), DEFAULT_OPTIONS.seed)
    .option('--drain-timeout <seconds>', 'longest wait for every event to be accounted for after the load', positive('--drain-timeout'), DEFAULT_OPTIONS.drainTimeoutSeconds)
    .option('--json', 'print the summary as JSON on stdout (progress goes to stderr)', false)
    .option('--no-synth', 'reuse the existing cdk.out instead of running cdk synth')
    .option('--report-dir <dir>', 'where the HTML and JSON reports go', 'reports');
}

function toScenarioOptions(cli: CliOptions): ScenarioOptions {
  return {
    ...DEFAULT_OPTIONS,
    ratePerSecond: cli.rate,
    durationSeconds: cli.duration,
    pipelines: cli.pipelines.split(',').map((p) => p.trim()).filter(Boolean),
    steps: Object.fromEntries(SWITCHES.map(({ name }) => [name, cli[name]])) as Switches,
    consumerOutageSeconds: cli.consumerOutageSeconds,
    dynamodbOutageSeconds: cli.dynamodbOutageSeconds,
    dynamodbFault: cli.dynamodbFault,
    kinesisOutageSeconds: cli.kinesisOutageSeconds,
    reshardSeconds: cli.reshardSeconds,
    timeScale: cli.timeScale,
    seed: Math.floor(cli.seed),
    drainTimeoutSeconds: cli.drainTimeout,
  };
}

const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

async function synthesize(): Promise<void> {
  say('▸ cdk synth --quiet');
  const ms = await cdkSynth({ log: (line) => say(`  ${line}`) });
  if (ms !== undefined) say(`  synthesized into cdk.out in ${(ms / 1000).toFixed(1)} s`);
}

async function startTarget(plan: ScenarioPlan, json: boolean): Promise<LocalAws> {
  const { options } = plan;
  say(`▸ starting the embedded local AWS (time scale ${options.timeScale}×) and deploying the stack`);
  const began = Date.now();
  const localAws = await startLocalAws({
    stackName: loadConfig().stackName,
    timeScale: options.timeScale,
    emulators: emulatorEndpointsFromEnv(),
    verbose: !json,
    // The workloads' settings over the template's (the returns pipeline's windows on the scenario's scale).
    functionEnvironment: functionEnvironmentFor(plan),
    // The closers' rate(1 minute) fires every second here: a slow run must not pile up behind itself.
    skipScheduledWhileBusy: true,
  });
  say(`  ready in ${((Date.now() - began) / 1000).toFixed(1)} s`);
  return localAws;
}

async function main(): Promise<number> {
  const command = program();
  command.parse(process.argv);
  const cli = command.opts<CliOptions>();
  const options = toScenarioOptions(cli);
  // Wrong options fail here, before a minute of synth and start-up.
  const plan = planScenario(options);

  const abort = new AbortController();
  let localAws: LocalAws | undefined;
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupts += 1;
    if (interrupts === 1) {
      say(`\n${signal}: stopping the scenario; a partial summary follows (again to quit at once)`);
      abort.abort();
      return;
    }
    say(`${signal}: quitting now`);
    void (localAws?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    if (cli.synth || !existsSync('cdk.out')) await synthesize();
    if (abort.signal.aborted) return 130;
    localAws = await startTarget(plan, cli.json);
    Object.assign(process.env, localAws.env);
    if (abort.signal.aborted) return 130;
    const target = localAws;
    const { summary } = await runScenario(options, { setFault: (service, mode) => target.setFault(service, mode), scaleOnDemandStream: (stream, shards) => target.scaleOnDemandStream(stream, shards) }, {
      signal: abort.signal,
      live: !cli.json,
      reportDir: cli.reportDir,
      log: say,
    });
    if (cli.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else process.stdout.write(formatSummary(summary, (ok, text) => (ok ? green(text) : red(text))));
    if (!summary.completed) return abort.signal.aborted ? 130 : 1;
    return summary.ok ? 0 : 1;
  } finally {
    if (localAws) {
      say('▸ stopping the local AWS');
      await localAws.stop();
    }
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    say(`npm start failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
