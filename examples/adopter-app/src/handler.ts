/**
 * The pipeline's Lambda entry: the team's action inside stream-pipeline's processor (idempotency,
 * per-key order, dead-letter queue, metrics). Bundled by NodejsFunction with esbuild at synth time.
 */
import { createProcessor } from 'stream-pipeline/processor';
import { pageViews } from './page-views';

export const handler = createProcessor(pageViews);
