/** The envelope every scenario event (valid or poison) carries: the run's source, numbered ids. */
import type { CloudEvent } from '../../lambdas/shared/envelope';

/** Every key of a run starts with its source prefix, so readers of shared tables see only this run. */
export const sourcePrefix = (runId: string): string => `/stream-pipeline/scenario/${runId}/`;

/** Numbers a pipeline's events and stamps them with the run's source, so every reader can find the run's keys. */
export function eventFactory(pipeline: string, runId: string) {
  const source = `${sourcePrefix(runId)}${pipeline}`;
  let count = 0;
  return <TData>(type: string, subject: string, timeMs: number, data: TData): CloudEvent<TData> => ({
    specversion: '1.0',
    id: `${runId}-${pipeline}-${String(++count).padStart(7, '0')}`,
    source,
    type,
    subject,
    time: new Date(timeMs).toISOString(),
    datacontenttype: 'application/json',
    data,
  });
}
