/**
 * Phase 2, warm: warms the processors' execution environments with empty Kinesis batches (Lambda
 * Invoke), so the measured load does not start with cold starts.
 */
import { warmUp } from '../aws/control';
import type { RunLog } from '../run-log';
import type { Stage } from '../stage';

/** Execution environments warmed per function before the load: one per concurrent batch we expect. */
const WARM_CONTAINERS = 4;

export async function warmProcessors(stage: Stage, log: RunLog): Promise<void> {
  log.phase = 'warming up the processors';
  await Promise.all(stage.pipelines.map((p) => warmUp(stage.clients.lambda, p.names.functionName, WARM_CONTAINERS)));
}
