/**
 * CloudWatch statistics over the raw values of one period: SampleCount, Sum, Average, Minimum, Maximum,
 * percentiles pNN / pNN.NN (nearest rank over the raw values; CloudWatch's own percentiles come from
 * its sketches and can differ slightly, never in which side of a threshold a clear breach falls) and
 * percentile rank PR(n:m) on metric values.
 *
 * From the CloudWatch User Guide, "CloudWatch statistics definitions":
 * - PR(n:m) is the percentage (0–100) of values in (n, m]: "exclusive on the lower bound, inclusive on
 *   the upper bound"; PR(:m) has no lower bound ("a value of m or less"), PR(n:) no upper bound.
 * - Percentiles, trimmed statistics and percentile rank "are not available for metrics when any of
 *   the metric values are negative numbers". The guide does not say over which span; here a period
 *   holding a negative value has no such datapoint (the narrowest reading that still shows the gap).
 */
export const SIMPLE_STATISTICS = ['SampleCount', 'Sum', 'Average', 'Minimum', 'Maximum'] as const;
export type SimpleStatistic = (typeof SIMPLE_STATISTICS)[number];

const PERCENTILE = /^p(\d{1,2}(\.\d{1,2})?|100)$/;
const BOUND = '(-?\\d+(?:\\.\\d+)?)';
const PERCENTILE_RANK = new RegExp(`^PR\\(${BOUND}?:${BOUND}?\\)$`);

/** PR(n:m) bounds, or undefined when `stat` is not a percentile rank with at least one bound. */
function percentileRankBounds(stat: string): { readonly lower: number; readonly upper: number } | undefined {
  const match = PERCENTILE_RANK.exec(stat);
  if (!match || (match[1] === undefined && match[2] === undefined)) return undefined;
  return { lower: match[1] === undefined ? -Infinity : Number(match[1]), upper: match[2] === undefined ? Infinity : Number(match[2]) };
}

export function isSupportedStatistic(stat: string): boolean {
  return (SIMPLE_STATISTICS as readonly string[]).includes(stat) || PERCENTILE.test(stat) || percentileRankBounds(stat) !== undefined;
}

/** The statistic of a non-empty list of values; undefined where CloudWatch gives no datapoint. */
export function computeStatistic(stat: string, values: readonly number[]): number | undefined {
  if (values.length === 0) throw new Error('no values to compute a statistic of');
  switch (stat) {
    case 'SampleCount':
      return values.length;
    case 'Sum':
      return sum(values);
    case 'Average':
      return sum(values) / values.length;
    case 'Minimum':
      return Math.min(...values);
    case 'Maximum':
      return Math.max(...values);
  }
  const rank = percentileRankBounds(stat);
  if (!rank && !PERCENTILE.test(stat)) throw new Error(`unsupported statistic "${stat}" (supported: ${SIMPLE_STATISTICS.join(', ')}, pNN, pNN.NN, PR(n:m))`);
  if (values.some((v) => v < 0)) return undefined;
  if (rank) return (100 * values.filter((v) => v > rank.lower && v <= rank.upper).length) / values.length;
  const p = Number(stat.slice(1));
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[index - 1] as number;
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
