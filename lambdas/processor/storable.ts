/**
 * Can DynamoDB store this item exactly as given? Checked before a write is packed with other records'
 * writes, so one record's unstorable data is attributed to that record instead of failing a whole
 * transaction. The rules are DynamoDB's (measured on DynamoDB Local, documented for DynamoDB):
 *
 * - numbers: magnitude 1E-130 to 9.99…E+125 (JavaScript numbers never exceed the 38-digit precision);
 * - nesting: 32 levels, the values inside the deepest map or list counted (so a map or list, even an
 *   empty one, at level 32 is refused; the item's attribute is level 1);
 * - attribute names (also nested map keys): not empty, under 64 KiB;
 * - partition key: not empty, at most 2048 bytes;
 * - item size: at most 400 KB;
 * - strings: well-formed Unicode (an unpaired surrogate has no UTF-8 form, so it would not read back as written);
 * - the AWS SDK's marshaller drops a `__proto__` key without a word and throws on what it cannot
 *   convert: both are refusals too, never a silent change.
 *
 * What this misses, the store still refuses; the engines then split the write until the culprit is alone.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { marshallingOptions } from './dynamo-options';

const MAX_NESTING = 32;
const MAX_ITEM_BYTES = 400 * 1024;
const MAX_PARTITION_KEY_BYTES = 2048;
const MAX_ATTRIBUTE_NAME_BYTES = 65_535;
const MAX_NUMBER = 1e126;
const MIN_NUMBER = 1e-130;
const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/** Why `key` cannot be a partition key value, or undefined if it can. */
export function keyProblem(key: string): string | undefined {
  if (key.length === 0) return 'a partition key cannot be empty';
  if (UNPAIRED_SURROGATE.test(key)) return 'a partition key must be well-formed Unicode (it contains an unpaired surrogate)';
  const bytes = utf8Bytes(key);
  if (bytes > MAX_PARTITION_KEY_BYTES) return `a partition key is at most ${MAX_PARTITION_KEY_BYTES} bytes (this one is ${bytes})`;
  return undefined;
}

/** A `__proto__` own property anywhere in a plain value (the marshaller would drop it). */
function protoKeyPath(value: unknown): string | undefined {
  const stack: { value: unknown; path: string }[] = [{ value, path: '' }];
  while (stack.length > 0) {
    const { value: current, path } = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (!Array.isArray(current) && Object.prototype.hasOwnProperty.call(current, '__proto__')) return `${path}.__proto__`;
    for (const [key, child] of Object.entries(current)) stack.push({ value: child, path: `${path}.${key}` });
  }
  return undefined;
}

function numberProblem(text: string): string | undefined {
  const magnitude = Math.abs(Number(text));
  if (magnitude >= MAX_NUMBER) return `number ${text} is above DynamoDB's range (magnitude below 1E+126)`;
  if (magnitude !== 0 && magnitude < MIN_NUMBER) return `number ${text} is below DynamoDB's range (magnitude at least 1E-130)`;
  return undefined;
}

function nameProblem(name: string, path: string): string | undefined {
  if (name.length === 0) return `${path || 'item'} has an empty attribute name`;
  if (UNPAIRED_SURROGATE.test(name)) return `attribute name at ${path} contains an unpaired surrogate`;
  if (utf8Bytes(name) > MAX_ATTRIBUTE_NAME_BYTES) return `attribute name at ${path} is longer than 64 KiB`;
  return undefined;
}

/** DynamoDB's size of a number: about one byte per two significant digits, plus one. */
function numberBytes(text: string): number {
  const digits = text.replace(/^-/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

/** Walks a marshalled item without recursion (a hostile value may be nested far beyond the call stack). */
function attributeProblem(item: Record<string, AttributeValue>): string | undefined {
  let bytes = 0;
  const stack: { value: AttributeValue; depth: number; path: string }[] = [];
  for (const [name, value] of Object.entries(item)) {
    const problem = nameProblem(name, name);
    if (problem) return problem;
    bytes += utf8Bytes(name);
    stack.push({ value, depth: 1, path: name });
  }
  while (stack.length > 0) {
    const { value, depth, path } = stack.pop()!;
    const container = value.M !== undefined || value.L !== undefined;
    if (depth > MAX_NESTING || (container && depth === MAX_NESTING)) return `${path} is nested deeper than DynamoDB's ${MAX_NESTING} levels`;
    if (value.S !== undefined) {
      if (UNPAIRED_SURROGATE.test(value.S)) return `string at ${path} contains an unpaired surrogate`;
      bytes += utf8Bytes(value.S);
    } else if (value.N !== undefined) {
      const problem = numberProblem(value.N);
      if (problem) return `${path}: ${problem}`;
      bytes += numberBytes(value.N);
    } else if (value.M !== undefined) {
      bytes += 3;
      for (const [key, child] of Object.entries(value.M)) {
        const problem = nameProblem(key, `${path}.${key.slice(0, 40)}`);
        if (problem) return problem;
        bytes += utf8Bytes(key) + 1;
        stack.push({ value: child, depth: depth + 1, path: `${path}.${key.slice(0, 40)}` });
      }
    } else if (value.L !== undefined) {
      bytes += 3;
      value.L.forEach((child, index) => {
        bytes += 1;
        stack.push({ value: child, depth: depth + 1, path: `${path}[${index}]` });
      });
    } else if (value.B !== undefined) {
      bytes += value.B.byteLength;
    } else {
      bytes += 1; // BOOL, NULL; sets never come from JSON
    }
    if (bytes > MAX_ITEM_BYTES) return `item is larger than DynamoDB's 400 KB`;
  }
  return undefined;
}

/**
 * Why DynamoDB (through the AWS SDK's document client) cannot store `item` as given, or undefined.
 * `partitionKey` names the key attribute, checked against the key rules.
 */
export function storabilityProblem(item: Readonly<Record<string, unknown>>, partitionKey = 'pk'): string | undefined {
  const proto = protoKeyPath(item);
  if (proto) return `attribute name "__proto__" (at ${proto.slice(1)}) would be dropped by the AWS SDK's marshaller`;
  let marshalled: Record<string, AttributeValue>;
  try {
    marshalled = marshall(item, { ...marshallingOptions(), convertTopLevelContainer: false });
  } catch (error) {
    // A stack overflow on deep nesting is a RangeError like the marshaller's own refusals.
    return `the AWS SDK cannot marshal it: ${error instanceof Error ? error.message : String(error)}`;
  }
  const key = item[partitionKey];
  if (typeof key === 'string') {
    const problem = keyProblem(key);
    if (problem) return problem;
  }
  return attributeProblem(marshalled);
}
