/**
 * CloudWatch Embedded Metric Format: a log line that is a JSON object with `_aws.CloudWatchMetrics`
 * becomes metric datapoints, as CloudWatch Logs extracts them from a Lambda function's output.
 */
import type { MetricDatum } from '../contracts';

interface MetricDirective {
  readonly Namespace: string;
  readonly Dimensions: readonly (readonly string[])[];
  readonly Metrics: readonly { readonly Name: string; readonly Unit?: string; readonly StorageResolution?: number }[];
}

/** Lambda's console prefix: `<ISO time>\t<request id>\t<LEVEL>\t`. */
const LAMBDA_PREFIX = /^\d{4}-\d\d-\d\dT[^\t]+\t[^\t]*\t[A-Z]+\t/;

/** The datapoints of one log line, or none when it is not EMF. Malformed EMF yields none (CloudWatch drops it too). */
export function parseEmfLine(line: string): MetricDatum[] {
  const text = line.replace(LAMBDA_PREFIX, '').trim();
  if (!text.startsWith('{') || !text.includes('"_aws"')) return [];
  let document: Record<string, unknown>;
  try {
    document = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return [];
  }
  const aws = document._aws as { Timestamp?: unknown; CloudWatchMetrics?: unknown } | undefined;
  if (!aws || !Array.isArray(aws.CloudWatchMetrics)) return [];
  const timestamp = typeof aws.Timestamp === 'number' ? aws.Timestamp : Date.now();
  const data: MetricDatum[] = [];
  for (const directive of aws.CloudWatchMetrics as MetricDirective[]) {
    const dimensionSets = directive.Dimensions?.length ? directive.Dimensions : [[]];
    for (const dimensionNames of dimensionSets) {
      const dimensions: Record<string, string> = {};
      for (const name of dimensionNames) {
        const value = document[name];
        if (value !== undefined) dimensions[name] = String(value);
      }
      for (const metric of directive.Metrics ?? []) {
        const raw = document[metric.Name];
        const values = Array.isArray(raw) ? raw : [raw];
        for (const value of values) {
          if (typeof value !== 'number' || !Number.isFinite(value)) continue;
          data.push({
            namespace: directive.Namespace,
            metricName: metric.Name,
            dimensions,
            value,
            timestamp,
            ...(metric.Unit ? { unit: metric.Unit } : {}),
            storageResolution: metric.StorageResolution === 1 ? 1 : 60,
          });
        }
      }
    }
  }
  return data;
}
