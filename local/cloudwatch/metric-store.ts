/**
 * The local CloudWatch metric store: every datapoint the local target records (ESM metrics, EMF lines
 * of the functions, PutMetricData, queue depth samples), queried by metric identity and period the way
 * GetMetricData and alarms do. A metric is identified by namespace, name and its full set of dimensions.
 * Timestamps are kept on the simulated time axis (see clock.ts). Datapoints older than the retention
 * window are dropped so long runs stay small.
 */
import type { MetricDatum, MetricSink } from '../contracts';
import { SimulatedClock } from './clock';
import { computeStatistic } from './statistics';

export interface MetricIdentity {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

export interface StoredPoint {
  /** Simulated epoch ms. */
  readonly timestamp: number;
  readonly value: number;
  readonly unit: string | undefined;
}

export interface StatisticQuery extends MetricIdentity {
  readonly stat: string;
  /** Seconds. */
  readonly period: number;
  /** Simulated epoch ms, inclusive start and exclusive end; periods are aligned to multiples of the period. */
  readonly start: number;
  readonly end: number;
  /** Only datapoints recorded with this unit, if given. */
  readonly unit?: string;
}

export interface StatisticSeries {
  /** Period start times (simulated epoch ms), oldest first; only periods that hold data. */
  readonly timestamps: number[];
  readonly values: number[];
}

export class MetricStore implements MetricSink {
  private readonly series = new Map<string, { identity: MetricIdentity; points: StoredPoint[] }>();

  constructor(
    readonly clock: SimulatedClock = new SimulatedClock(),
    /** Simulated ms a datapoint is kept. Default 1 day. */
    private readonly retentionMs = 24 * 3600 * 1000,
  ) {}

  /** Records a datum whose timestamp is real epoch ms (as every producer writes them). */
  put(datum: MetricDatum): void {
    this.putSimulated({ ...datum, timestamp: this.clock.toSimulated(datum.timestamp) });
  }

  /** Records a datum whose timestamp is already on the simulated axis. */
  putSimulated(datum: MetricDatum): void {
    if (!Number.isFinite(datum.value)) return;
    const identity: MetricIdentity = { namespace: datum.namespace, metricName: datum.metricName, dimensions: { ...datum.dimensions } };
    const key = identityKey(identity);
    let entry = this.series.get(key);
    if (!entry) {
      entry = { identity, points: [] };
      this.series.set(key, entry);
    }
    entry.points.push({ timestamp: datum.timestamp, value: datum.value, unit: datum.unit });
    if (entry.points.length % 1000 === 0) this.prune(entry.points);
  }

  /** Every metric recorded, optionally filtered like ListMetrics. */
  metrics(filter: Partial<Pick<MetricIdentity, 'namespace' | 'metricName'>> = {}): MetricIdentity[] {
    return [...this.series.values()]
      .map((e) => e.identity)
      .filter((m) => (filter.namespace === undefined || m.namespace === filter.namespace) && (filter.metricName === undefined || m.metricName === filter.metricName));
  }

  /** Raw points of one metric in [start, end). */
  points(identity: MetricIdentity, start: number, end: number, unit?: string): StoredPoint[] {
    const entry = this.series.get(identityKey(identity));
    if (!entry) return [];
    return entry.points.filter((p) => p.timestamp >= start && p.timestamp < end && (unit === undefined || p.unit === unit));
  }

  /** One value per aligned period that holds data. */
  statistic(query: StatisticQuery): StatisticSeries {
    const periodMs = query.period * 1000;
    const first = Math.floor(query.start / periodMs) * periodMs;
    const buckets = new Map<number, number[]>();
    for (const p of this.points(query, first, query.end, query.unit)) {
      const bucket = Math.floor(p.timestamp / periodMs) * periodMs;
      const values = buckets.get(bucket) ?? [];
      values.push(p.value);
      buckets.set(bucket, values);
    }
    const series: StatisticSeries = { timestamps: [], values: [] };
    for (const t of [...buckets.keys()].sort((a, b) => a - b)) {
      const value = computeStatistic(query.stat, buckets.get(t) as number[]);
      if (value === undefined) continue;
      series.timestamps.push(t);
      series.values.push(value);
    }
    return series;
  }

  private prune(points: StoredPoint[]): void {
    const oldest = this.clock.now() - this.retentionMs;
    const keep = points.filter((p) => p.timestamp >= oldest);
    points.splice(0, points.length, ...keep);
  }
}

export function identityKey(identity: MetricIdentity): string {
  const dims = Object.keys(identity.dimensions)
    .sort()
    .map((k) => [k, identity.dimensions[k]]);
  return JSON.stringify([identity.namespace, identity.metricName, dims]);
}
