/**
 * Simulated time for CloudWatch: with time scale S, S simulated seconds pass per real second, counted
 * from the moment the clock was made. Metric timestamps (real epoch ms) are mapped onto that time axis,
 * so a 60 s alarm period passes in 60/S real seconds. Metric values themselves are never scaled.
 */
export class SimulatedClock {
  readonly origin: number;

  constructor(
    readonly timeScale = 1,
    private readonly realNow: () => number = Date.now,
  ) {
    if (!(timeScale > 0)) throw new Error(`time scale must be a positive number, got ${timeScale}`);
    this.origin = realNow();
  }

  /** Simulated epoch ms now. */
  now(): number {
    return this.toSimulated(this.realNow());
  }

  /** The simulated epoch ms of a real epoch ms. */
  toSimulated(realMs: number): number {
    return this.origin + (realMs - this.origin) * this.timeScale;
  }

  /** Real ms a simulated duration takes. */
  realDuration(simulatedMs: number): number {
    return simulatedMs / this.timeScale;
  }
}
