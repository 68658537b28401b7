/** Messages between the Lambda runtime (parent) and a container (./bootstrap.ts) over the IPC channel. */

/** Parent → container: run the handler once. */
export interface InvokeMessage {
  readonly type: 'invoke';
  readonly requestId: string;
  readonly event: unknown;
  /** Epoch ms at which the invocation times out (for context.getRemainingTimeInMillis). */
  readonly deadlineMs: number;
}

/** Container → parent. */
export type ContainerMessage =
  | { readonly type: 'ready' }
  /** The module could not be loaded or has no such handler: the container is unusable. */
  | { readonly type: 'initError'; readonly errorType: string; readonly errorMessage: string }
  /**
   * `payload` is the JSON text of the handler's result, as Lambda serializes it. `durationMs` is the
   * handler's own run time, measured in the container (Lambda's Duration: the invoke's transport excluded).
   */
  | { readonly type: 'result'; readonly requestId: string; readonly payload: string; readonly durationMs?: number }
  | { readonly type: 'error'; readonly requestId: string; readonly errorType: string; readonly errorMessage: string; readonly stack?: string[]; readonly durationMs?: number };

/** What the container needs to know about its function (passed as JSON in LOCAL_LAMBDA_CONTAINER). */
export interface ContainerSpec {
  /** Absolute path of the handler's module without extension (e.g. /…/asset.abc/index). */
  readonly modulePath: string;
  readonly exportName: string;
  readonly functionName: string;
  readonly functionArn: string;
  readonly memoryMb: number;
}
