/** `alarms`: the current state of the stack's (or one pipeline's) CloudWatch alarms. */
import { DescribeAlarmsCommand, type CompositeAlarm, type MetricAlarm, type StateValue } from '@aws-sdk/client-cloudwatch';
import { Option, type Command } from 'commander';
import { loadConfig, pipelineResourceNames } from '../../lib/config';
import { pipelineOption, printJson, printTable, truncate, withClients } from './common';

interface AlarmsOptions {
  readonly pipeline?: string;
  readonly state?: StateValue;
  readonly json?: boolean;
}

export interface AlarmView {
  readonly name: string;
  readonly state: string;
  readonly since: string | null;
  readonly reason: string | null;
  readonly description: string | null;
  /** What the alarm watches: the metric and its statistic, or a math expression and its inputs. */
  readonly metric: string | null;
}

export function registerAlarms(program: Command): void {
  program
    .command('alarms')
    .description("the current state of the stack's alarms (all pipelines, or one), with the reason and each alarm's description (its runbook)")
    .addOption(pipelineOption())
    .addOption(new Option('--state <state>', 'only alarms in this state').choices(['OK', 'ALARM', 'INSUFFICIENT_DATA']))
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  $ stream-pipeline alarms\n  $ stream-pipeline alarms --pipeline orders --state ALARM\n  $ stream-pipeline alarms --json')
    .action(
      withClients(async (clients, options: AlarmsOptions) => {
        const config = loadConfig();
        const prefix = options.pipeline ? pipelineResourceNames(config.stackName, options.pipeline).alarmNamePrefix : `${config.stackName}-`;
        const alarms: AlarmView[] = [];
        let nextToken: string | undefined;
        do {
          const page = await clients.cloudWatch.send(
            new DescribeAlarmsCommand({ AlarmNamePrefix: prefix, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], StateValue: options.state, NextToken: nextToken }),
          );
          for (const a of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
            alarms.push({
              name: a.AlarmName ?? '?',
              state: a.StateValue ?? '?',
              since: a.StateUpdatedTimestamp?.toISOString() ?? null,
              reason: a.StateReason ?? null,
              description: a.AlarmDescription ?? null,
              metric: metricOfAlarm(a),
            });
          }
          nextToken = page.NextToken;
        } while (nextToken);
        // ALARM first: that is what the on-call engineer came for.
        const rank = (s: string): number => (s === 'ALARM' ? 0 : s === 'INSUFFICIENT_DATA' ? 1 : 2);
        alarms.sort((a, b) => rank(a.state) - rank(b.state) || a.name.localeCompare(b.name));
        if (options.json) {
          printJson({ prefix, alarms });
          return;
        }
        if (alarms.length === 0) {
          process.stdout.write(`No alarms named ${prefix}*${options.state ? ` in state ${options.state}` : ''}.\n`);
          return;
        }
        printTable(
          ['STATE', 'ALARM', 'SINCE', 'REASON'],
          alarms.map((a) => [a.state, a.name, a.since ?? '-', truncate(a.reason ?? '', 100)]),
        );
        const firing = alarms.filter((a) => a.state === 'ALARM');
        for (const a of firing) {
          const lines = [...(a.metric ? [`watches: ${a.metric}`] : []), ...(a.description ? [a.description] : [])];
          if (lines.length > 0) process.stdout.write(`\n${a.name}:\n  ${lines.join('\n').replace(/\n/g, '\n  ')}\n`);
        }
      }),
    );
}

/**
 * What an alarm watches: `Namespace/MetricName Statistic`, or a metric-math alarm's expression and the
 * statistic behind each of its ids (e.g. why a p99 alarm stays OK: the expression gates it).
 */
export function metricOfAlarm(alarm: MetricAlarm | CompositeAlarm): string | null {
  if (!('MetricName' in alarm || 'Metrics' in alarm)) return null;
  if (alarm.MetricName) return [`${alarm.Namespace ?? ''}/${alarm.MetricName}`, alarm.ExtendedStatistic ?? alarm.Statistic].filter(Boolean).join(' ');
  const queries = alarm.Metrics ?? [];
  const expression = queries.find((query) => query.ReturnData !== false && query.Expression)?.Expression;
  if (!expression) return null;
  const inputs = queries.flatMap((query) => {
    const stat = query.MetricStat;
    return stat?.Metric ? [`${query.Id} = ${stat.Metric.Namespace ?? ''}/${stat.Metric.MetricName ?? ''} ${stat.Stat ?? ''}`.trimEnd()] : [];
  });
  return `math: ${expression}${inputs.length > 0 ? ` where ${inputs.join(', ')}` : ''}`;
}
