/**
 * Minimal DynamoDB AttributeValue marshalling for the deployment store's plain JSON-like records
 * (strings, finite numbers, booleans, null, arrays, nested objects). `undefined` fields are omitted,
 * like `@aws-sdk/util-dynamodb` with `removeUndefinedValues`. Kept here to avoid another dependency.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

export type Item = Record<string, AttributeValue>;

export function marshallValue(value: unknown, path = '(value)'): AttributeValue | undefined {
  if (value === undefined) return undefined;
  if (value === null) return { NULL: true };
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'boolean') return { BOOL: value };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot store ${path}: ${value} is not a finite number`);
    return { N: String(value) };
  }
  if (Array.isArray(value)) {
    return { L: value.map((v, i) => marshallValue(v, `${path}[${i}]`) ?? { NULL: true }) };
  }
  if (typeof value === 'object') return { M: marshallItem(value as Record<string, unknown>, path) };
  throw new Error(`cannot store ${path}: unsupported type ${typeof value}`);
}

export function marshallItem(record: Record<string, unknown>, path = '(item)'): Item {
  const item: Item = {};
  for (const [k, v] of Object.entries(record)) {
    const av = marshallValue(v, `${path}.${k}`);
    if (av !== undefined) item[k] = av;
  }
  return item;
}

export function unmarshallValue(av: AttributeValue): unknown {
  if (av.S !== undefined) return av.S;
  if (av.N !== undefined) return Number(av.N);
  if (av.BOOL !== undefined) return av.BOOL;
  if (av.NULL !== undefined) return null;
  if (av.L !== undefined) return av.L.map(unmarshallValue);
  if (av.M !== undefined) return unmarshallItem(av.M);
  if (av.SS !== undefined) return [...av.SS];
  if (av.NS !== undefined) return av.NS.map(Number);
  throw new Error(`unsupported DynamoDB attribute value ${JSON.stringify(Object.keys(av))}`);
}

export function unmarshallItem(item: Item): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) out[k] = unmarshallValue(v);
  return out;
}
