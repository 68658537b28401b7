/** The scenario's error types, one base class for the area (as Powertools' BatchProcessingError). */

/** Base of every error the scenario itself defines. */
export class ScenarioError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Options a user typed that cannot run: every problem named, with the flag to change. */
export class InvalidScenarioOptionsError extends ScenarioError {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid options:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** The target is not as the run needs it: a resource missing, a state not reached, an API answer out of contract. */
export class TargetStateError extends ScenarioError {}
