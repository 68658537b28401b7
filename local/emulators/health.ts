import type { ManagedProcess } from './managed-process';

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs?: number;
}

/**
 * Calls `probe` until it resolves, the process dies, or the timeout passes. The error carries the
 * last probe failure and the tail of the process log, which is where the real reason usually is.
 */
export async function waitUntilHealthy(proc: ManagedProcess, probe: () => Promise<void>, options: WaitOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 100;
  let lastError = 'no probe completed';
  while (Date.now() < deadline) {
    if (proc.hasExited()) {
      throw new Error(`${proc.name} exited during start-up. Log ${proc.logFile}, last lines:\n${proc.logTail()}`);
    }
    try {
      await probe();
      return;
    } catch (error) {
      lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
  throw new Error(
    `${proc.name} did not answer within ${options.timeoutMs} ms (last probe: ${lastError}). Log ${proc.logFile}, last lines:\n${proc.logTail()}`,
  );
}
