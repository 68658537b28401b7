/**
 * The AWS SDK's marshaller tells a plain object from a class instance by `value.constructor.name`. JSON
 * data can carry its own `constructor` key, and then the marshaller misreads the object: `{"constructor":
 * {"name":"String"}}` is stored as the string "[object Object]", `{"constructor":2}` is refused. Such
 * objects are handed to it as `Map`s instead (which it marshals by their entries, whatever the keys), so
 * every JSON object is stored exactly as it was; it reads back as the plain object it was.
 */

const hasOwn = (value: object, key: string): boolean => Object.prototype.hasOwnProperty.call(value, key);

function needsMap(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const current = stack.pop();
    if (typeof current !== 'object' || current === null) continue;
    if (!Array.isArray(current) && hasOwn(current, 'constructor')) return true;
    for (const child of Object.values(current)) stack.push(child);
  }
  return false;
}

function toMarshalSafe(value: unknown, depth: number): unknown {
  // Deeper than DynamoDB stores is refused by the storability check; do not walk it here.
  if (typeof value !== 'object' || value === null || depth > 40) return value;
  if (Array.isArray(value)) return value.map((v) => toMarshalSafe(v, depth + 1));
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  const entries = Object.entries(value).map(([k, v]) => [k, toMarshalSafe(v, depth + 1)] as const);
  return hasOwn(value, 'constructor') ? new Map(entries) : Object.fromEntries(entries);
}

/** `attributes`, with every object that has its own `constructor` key turned into a Map. Untouched if none has. */
export function marshalSafe<T extends Readonly<Record<string, unknown>>>(attributes: T): T {
  return needsMap(attributes) ? (toMarshalSafe(attributes, 0) as T) : attributes;
}
