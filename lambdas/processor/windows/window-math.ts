/**
 * Event-time windows as numbers: which windows an event belongs to, when each ends and when it is due
 * to close. Pure; every time is epoch milliseconds of event time.
 *
 * Windows are aligned to the epoch: a tumbling window of size S starts at a multiple of S; hopping
 * windows of size S and slide D start at every multiple of D, so an event belongs to S / D of them.
 */
import type { WindowsConfig } from '../../shared/windows-config';

export interface WindowSpec {
  readonly sizeMs: number;
  readonly slideMs: number;
  readonly outOfOrderMs: number;
  readonly latenessMs: number;
  readonly idleMs: number;
  readonly retentionMs: number;
}

export function windowSpec(config: WindowsConfig): WindowSpec {
  return {
    sizeMs: config.sizeSeconds * 1000,
    slideMs: (config.slideSeconds ?? config.sizeSeconds) * 1000,
    outOfOrderMs: config.outOfOrderSeconds * 1000,
    latenessMs: config.allowedLatenessSeconds * 1000,
    idleMs: config.idleTimeoutSeconds * 1000,
    retentionMs: config.resultRetentionHours * 3600 * 1000,
  };
}

/** Starts of the windows that contain `eventMs`, oldest first. */
export function windowStartsOf(eventMs: number, spec: WindowSpec): number[] {
  const last = Math.floor(eventMs / spec.slideMs) * spec.slideMs;
  const starts: number[] = [];
  for (let start = last - spec.sizeMs + spec.slideMs; start <= last; start += spec.slideMs) starts.push(start);
  return starts;
}

export const windowEnd = (start: number, spec: WindowSpec): number => start + spec.sizeMs;

/** The watermark a window waits for: its end plus the allowed lateness. */
export const closesAt = (start: number, spec: WindowSpec): number => start + spec.sizeMs + spec.latenessMs;

/** A window is final once the pipeline's watermark has reached its end plus the allowed lateness. */
export const isFinal = (start: number, watermarkMs: number, spec: WindowSpec): boolean => closesAt(start, spec) <= watermarkMs;
