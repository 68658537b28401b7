/**
 * The local AWS's own error types, one base class for the area (as Powertools' BatchProcessingError).
 * Errors an emulated API answers with are AWS's, not these (local/control-plane/http.ts `AwsApiError`).
 */

/** Base of every error the local AWS itself defines. */
export class LocalAwsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
