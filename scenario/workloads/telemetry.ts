/**
 * The `telemetry` workload: equipment readings inside their limits, and a few breach episodes (one
 * device, one metric, several readings in a row out of limits) that must each raise exactly one alert.
 */
import type { CloudEvent } from '../../lambdas/shared/envelope';
import { TelemetryEventType } from '../../lambdas/shared/actions';
import type { Random } from '../../client/operations/seeded-random';
import { breachingValue, normalValue, type Thresholds } from '../../client/examples/pipeline-events';
import { withDuplicates } from './orders';
import { eventFactory, LATE_BY_MS, type InjectionRates, type PlannedSend, type Workload } from './workload';

export const READING_EVENT_TYPE = TelemetryEventType.Reading;

export interface ReadingEventData {
  readonly deviceId: string;
  readonly readings: Readonly<Record<string, number>>;
}

const DEVICES = 20;
/** Consecutive breaching readings per episode. */
const READINGS_PER_EPISODE = 4;

export interface BreachEpisode {
  /** Real ms from the start of the load at which the device starts breaching. */
  readonly startMs: number;
  readonly metric: string;
}

export function telemetryWorkload(
  pipeline: string,
  runId: string,
  random: Random,
  rates: InjectionRates,
  episodes: readonly BreachEpisode[],
  /** The pipeline's configured thresholds: normal readings stay inside them, episodes breach them. */
  thresholds: Thresholds,
): Workload {
  const newEvent = eventFactory(pipeline, runId);
  const devices = Array.from({ length: DEVICES }, (_, i) => `device-${runId}-${String(i + 1).padStart(3, '0')}`);
  // Each episode gets its own device, so each is one incident whatever the incident window.
  const pending = episodes.map((episode, i) => ({ ...episode, deviceId: devices[i % DEVICES] as string, left: READINGS_PER_EPISODE }));

  const reading = (deviceId: string, timeMs: number, breachMetric?: string): CloudEvent<ReadingEventData> => {
    const readings: Record<string, number> = {};
    for (const [metric, threshold] of Object.entries(thresholds)) {
      readings[metric] = metric === breachMetric ? breachingValue(threshold) : normalValue(threshold, random.next());
    }
    return newEvent<ReadingEventData>(READING_EVENT_TYPE, deviceId, timeMs, { deviceId, readings });
  };

  return {
    pipeline,
    create(nowMs, count) {
      const sends: PlannedSend[] = [];
      const wallNow = Date.now();
      for (let i = 0; i < count; i++) {
        const episode = pending.find((e) => e.startMs <= nowMs && e.left > 0);
        if (episode) {
          // Breaching readings are put in order and on time: their alert is the thing under test.
          episode.left -= 1;
          sends.push({ atMs: nowMs, event: reading(episode.deviceId, wallNow, episode.metric) });
          continue;
        }
        const deviceId = random.pick(devices.slice(episodes.length));
        if (random.chance(rates.outOfOrder)) {
          const older = reading(deviceId, wallNow - 20);
          sends.push({ atMs: nowMs, event: reading(deviceId, wallNow) }, { atMs: nowMs, event: older, injected: 'out-of-order' });
        } else if (random.chance(rates.late)) {
          sends.push({ atMs: nowMs + LATE_BY_MS, event: reading(deviceId, wallNow), injected: 'late' });
        } else {
          sends.push({ atMs: nowMs, event: reading(deviceId, wallNow) });
        }
      }
      return withDuplicates(sends, nowMs, random, rates.duplicate);
    },
  };
}

/** Breach episodes spread over the load: one for each of (at most) three metrics, away from the outages' edges. */
export function planBreachEpisodes(loadMs: number, thresholds: Thresholds): BreachEpisode[] {
  return Object.keys(thresholds)
    .slice(0, 3)
    .map((metric, i) => ({ startMs: Math.round(loadMs * (0.1 + 0.3 * i)), metric }));
}
