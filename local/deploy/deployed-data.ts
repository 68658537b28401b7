/** What deploying one data resource (stream, table, queue, topic) produced. */
export interface DeployedData {
  readonly physicalId: string;
  readonly arn?: string;
  /** Fn::GetAtt values. */
  readonly attributes: Readonly<Record<string, string>>;
  /** Overrides the Ref value (default: physicalId). */
  readonly ref?: string;
  /** One line for the deploy report. */
  readonly summary: string;
}
