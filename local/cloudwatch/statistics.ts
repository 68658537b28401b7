/**
 * CloudWatch statistics over the raw values of one period: SampleCount, Sum, Average, Minimum, Maximum
 * and percentiles pNN / pNN.NN (nearest rank over the raw values; CloudWatch's own percentiles come from
 * its sketches and can differ slightly, never in which side of a threshold a clear breach falls).
 */
export const SIMPLE_STATISTICS = ['SampleCount', 'Sum', 'Average', 'Minimum', 'Maximum'] as const;
export type SimpleStatistic = (typeof SIMPLE_STATISTICS)[number];

const PERCENTILE = /^p(\d{1,2}(\.\d{1,2})?|100)$/;

export function isSupportedStatistic(stat: string): boolean {
  return (SIMPLE_STATISTICS as readonly string[]).includes(stat) || PERCENTILE.test(stat);
}

/** The statistic of a non-empty list of values. */
export function computeStatistic(stat: string, values: readonly number[]): number {
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
  const match = PERCENTILE.exec(stat);
  if (!match) throw new Error(`unsupported statistic "${stat}" (supported: ${SIMPLE_STATISTICS.join(', ')}, pNN, pNN.NN)`);
  const p = Number(stat.slice(1));
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
