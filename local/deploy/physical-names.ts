import { createHash } from 'node:crypto';

/**
 * Physical names: the template's own when it sets one, else CloudFormation's pattern
 * `<stack>-<logicalId>-<hash>`; then the optional suffix that lets several deployments of one template
 * share a set of emulators.
 */
export class PhysicalNames {
  /** Template name → deployed name, for literal names that appear outside Ref (e.g. alarm dimensions). */
  readonly renamed = new Map<string, string>();

  constructor(
    private readonly stackName: string,
    private readonly suffix: string,
  ) {}

  name(logicalId: string, explicit: string | undefined, maxLength: number): string {
    const base =
      explicit ??
      `${this.stackName}-${logicalId}`.slice(0, maxLength - 13 - this.suffix.length) +
        `-${createHash('sha256').update(`${this.stackName}/${logicalId}`).digest('hex').slice(0, 12).toUpperCase()}`;
    // FIFO queues and topics must keep their `.fifo` ending.
    const fifo = base.endsWith('.fifo') ? '.fifo' : '';
    const name = `${fifo ? base.slice(0, -5) : base}${this.suffix}${fifo}`;
    if (name.length > maxLength) throw new Error(`${logicalId}: name "${name}" is longer than ${maxLength} characters`);
    if (explicit !== undefined && name !== explicit) this.renamed.set(explicit, name);
    return name;
  }

  /** Replaces literal template names (exact string values only) by their deployed names. */
  rename<T>(value: T): T {
    if (this.renamed.size === 0) return value;
    const walk = (v: unknown): unknown => {
      if (typeof v === 'string') return this.renamed.get(v) ?? v;
      if (Array.isArray(v)) return v.map(walk);
      if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
      return v;
    };
    return walk(value) as T;
  }
}
