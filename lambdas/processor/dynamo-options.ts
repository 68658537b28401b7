/**
 * How the processor's DynamoDB document client converts JavaScript values, in one place: the client
 * (./processor.ts) and the storability check (./storable.ts) must agree exactly.
 *
 * Functions, not shared objects: lib-dynamodb writes `convertTopLevelContainer` into the options
 * object it is given, which would change how every other user of that object marshals.
 */
import type { marshallOptions, unmarshallOptions } from '@aws-sdk/util-dynamodb';

export const marshallingOptions = (): marshallOptions => ({
  removeUndefinedValues: true,
  // Event data is JSON: its numbers are already doubles, so an integer above 2^53 is stored as the
  // double it is instead of refusing the event. Range and precision are still DynamoDB's (./storable.ts).
  allowImpreciseNumbers: true,
});

export const unmarshallingOptions = (): unmarshallOptions => ({
  // Read every number back as a double. Without this the SDK returns a BigInt for an integer above 2^53
  // (which JSON.stringify cannot write) and throws for one like 1.5e21: one stored value would then
  // fail every later batch that reads the item.
  wrapNumbers: (text: string) => Number(text),
});
