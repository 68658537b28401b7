/**
 * The `returns` action (windowed): detects an abnormal spike in returns while it is happening.
 *
 * Event: type `order.returned`, `time` (when the return happened) required, `data` =
 * `{ "orderId", "sku", "reason", "amount" }`. With the default `windows` configuration the key is the
 * SKU, windows are 10-minute tumbling windows in event time, `amount` is summed and `reason` is the top
 * field.
 *
 * The spike rule: a window spikes when its running count reaches
 * max(spike.minimumVolume, spike.factor × baseline), the baseline being the exponentially weighted
 * average of the SKU's closed windows' counts (spike.baselineWeight for the newest; windows with no
 * returns count as zero). The alert is raised by the batch that crosses the threshold, during the
 * window, at most once per SKU and window (./../processor/windows/alerts-outbox.ts says what is
 * guaranteed), and carries SKU, window, count, baseline, threshold and the top reasons. The window's
 * final result records whether it spiked.
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod/mini';
import { ProcessorEnv } from '../shared/environment';
import { parseSpikeConfig, parseWindowsConfig, spikeThreshold, type SpikeConfig, type WindowsConfig } from '../shared/windows-config';
import { PoisonEventError } from '../processor/errors';
import { requireStateTable, SettingsError } from '../processor/settings';
import type { Baseline, WindowAlert, WindowState } from '../processor/windows/window-items';
import { ReturnEventType, SPIKE_ALERT_KIND, type SpikeAlert } from '../shared/returns-events';
import type { ActionFactory, WindowedAction } from './action';
import { observeByConfig } from './window-observation';

const text = (max: number) => z.string({ error: 'must be a non-empty string' }).check(z.minLength(1, { error: 'must be a non-empty string' }), z.maxLength(max, { error: `must be at most ${max} characters` }));

const returnSchema = z.looseObject(
  {
    orderId: text(200),
    sku: text(200),
    reason: text(100),
    amount: z.number({ error: 'must be a number' }).check(z.minimum(0, { error: 'must not be negative' }), z.lt(1e12, { error: 'must be below 1e12' })),
  },
  { error: 'must be an object with orderId, sku, reason and amount' },
);

/** The baseline after `closed`: windows skipped since the last one (no returns) count as zero. */
export function nextSpikeBaseline(spike: SpikeConfig, windows: WindowsConfig, closed: WindowState, baseline: Baseline | undefined): number | undefined {
  if (!baseline) return closed.aggregate.count;
  if (closed.start <= baseline.lastWindowStart) return undefined; // out of order: leave it
  const slideMs = (windows.slideSeconds ?? windows.sizeSeconds) * 1000;
  const skipped = Math.max(0, Math.round((closed.start - baseline.lastWindowStart) / slideMs) - 1);
  const decayed = baseline.value * (1 - spike.baselineWeight) ** skipped;
  return spike.baselineWeight * closed.aggregate.count + (1 - spike.baselineWeight) * decayed;
}

export function createReturnsAction(options: { pipeline: string; windows: WindowsConfig; spike: SpikeConfig; sns: SNSClient; topicArn: string }): WindowedAction {
  const { pipeline, windows, spike, sns, topicArn } = options;
  return {
    kind: 'windowed',
    eventTypes: [ReturnEventType.Returned],
    windows,
    observe(event) {
      const parsed = returnSchema.safeParse(event.event.data);
      if (!parsed.success) throw new PoisonEventError(`data: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'data'} ${i.message}`).join('; ')}`);
      return observeByConfig(event, windows);
    },
    alertFor(window, baseline) {
      const threshold = spikeThreshold(spike, baseline?.value);
      return window.aggregate.count >= threshold ? { baseline: baseline?.value ?? 0, threshold } : undefined;
    },
    nextBaseline: (closed, baseline) => nextSpikeBaseline(spike, windows, closed, baseline),
    async deliver(alert: WindowAlert) {
      const message: SpikeAlert = {
        kind: SPIKE_ALERT_KIND,
        pipeline,
        alertId: alert.alertId,
        sku: alert.key,
        windowStart: new Date(alert.windowStart).toISOString(),
        windowEnd: new Date(alert.windowEnd).toISOString(),
        count: alert.count,
        baseline: alert.baseline,
        threshold: alert.threshold,
        topReasons: alert.topValues.map((v) => ({ reason: v.value, count: v.count })),
      };
      await sns.send(
        new PublishCommand({
          TopicArn: topicArn,
          // SNS subjects: printable ASCII, at most 100 characters.
          Subject: `Returns spike: ${alert.key}`.replace(/[^\x20-\x7e]/g, '?').slice(0, 100),
          Message: JSON.stringify(message),
          MessageAttributes: {
            kind: { DataType: 'String', StringValue: SPIKE_ALERT_KIND },
            alertId: { DataType: 'String', StringValue: alert.alertId.replace(/[^\x20-\x7e]/g, '?') },
          },
        }),
      );
    },
  };
}

/** The returns action publishing with `sns` (created once per container by the Lambda entry). */
export const returns = (sns: SNSClient): ActionFactory => (settings) => {
  if (!settings.alertsTopicArn) throw new SettingsError(`The returns action needs ${ProcessorEnv.AlertsTopicArn}`);
  if (!settings.windowsConfigJson) throw new SettingsError(`The returns action needs ${ProcessorEnv.WindowsConfig}`);
  if (!settings.spikeConfigJson) throw new SettingsError(`The returns action needs ${ProcessorEnv.SpikeConfig}`);
  requireStateTable(settings, 'returns');
  return createReturnsAction({
    pipeline: settings.pipelineName,
    windows: parseWindowsConfig(settings.windowsConfigJson),
    spike: parseSpikeConfig(settings.spikeConfigJson),
    sns,
    topicArn: settings.alertsTopicArn,
  });
};
