/**
 * A tiny in-memory DynamoDB behind aws-sdk-client-mock, implementing only what the deployment store
 * sends: GetItem, PutItem, UpdateItem, DeleteItem, Query (table and GSI), TransactWriteItems (ConditionCheck,
 * Put, Update, Delete; one item at most once; ALL_OLD on a failed condition), with
 * condition expressions made of attribute_exists / attribute_not_exists / `=` / `<` joined by a single
 * kind of AND / OR. Anything else throws, so the store cannot silently rely on something the fake
 * does not check.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';

type Item = Record<string, AttributeValue>;
type Names = Record<string, string> | undefined;
type Values = Record<string, AttributeValue> | undefined;

const PK = 'pk';
const SK = 'sk';

function scalar(av: AttributeValue | undefined): string | number | undefined {
  if (!av) return undefined;
  if (av.S !== undefined) return av.S;
  if (av.N !== undefined) return Number(av.N);
  throw new Error(`fake DynamoDB: only S and N can be compared (got ${JSON.stringify(av)})`);
}

function resolveName(token: string, names: Names): string {
  if (!token.startsWith('#'))
    throw new Error(`fake DynamoDB: use attribute name placeholders (got ${token})`);
  const n = names?.[token];
  if (!n) throw new Error(`fake DynamoDB: undefined name placeholder ${token}`);
  return n;
}

function resolveValue(token: string, values: Values): AttributeValue {
  const v = values?.[token];
  if (!v) throw new Error(`fake DynamoDB: undefined value placeholder ${token}`);
  return v;
}

function evalTerm(term: string, item: Item | undefined, names: Names, values: Values): boolean {
  let m = /^attribute_not_exists\((#\w+)\)$/.exec(term);
  if (m) return item?.[resolveName(m[1], names)] === undefined;
  m = /^attribute_exists\((#\w+)\)$/.exec(term);
  if (m) return item?.[resolveName(m[1], names)] !== undefined;
  m = /^(#\w+) (=|<) (:\w+)$/.exec(term);
  if (m) {
    const left = scalar(item?.[resolveName(m[1], names)]);
    const right = scalar(resolveValue(m[3], values));
    if (left === undefined || right === undefined) return false;
    return m[2] === '=' ? left === right : left < right;
  }
  m = /^begins_with\((#\w+), (:\w+)\)$/.exec(term);
  if (m) {
    const left = scalar(item?.[resolveName(m[1], names)]);
    const right = scalar(resolveValue(m[2], values));
    return typeof left === 'string' && typeof right === 'string' && left.startsWith(right);
  }
  throw new Error(`fake DynamoDB: unsupported expression term "${term}"`);
}

export function evalCondition(
  expr: string | undefined,
  item: Item | undefined,
  names: Names,
  values: Values,
): boolean {
  if (!expr) return true;
  const hasAnd = expr.includes(' AND ');
  const hasOr = expr.includes(' OR ');
  if (hasAnd && hasOr) throw new Error(`fake DynamoDB: mixed AND/OR not supported: ${expr}`);
  if (hasOr) return expr.split(' OR ').some((t) => evalTerm(t.trim(), item, names, values));
  return expr.split(' AND ').every((t) => evalTerm(t.trim(), item, names, values));
}

function applyUpdate(item: Item, expr: string, names: Names, values: Values): Item {
  const out: Item = { ...item };
  const m = /^(?:SET (.+?))?\s*(?:REMOVE (.+))?$/.exec(expr.trim());
  if (!m || (!m[1] && !m[2])) throw new Error(`fake DynamoDB: unsupported update expression ${expr}`);
  for (const assignment of m[1]?.split(',') ?? []) {
    const a = /^\s*(#\w+) = (:\w+)\s*$/.exec(assignment);
    if (!a) throw new Error(`fake DynamoDB: unsupported SET clause "${assignment}"`);
    out[resolveName(a[1], names)] = resolveValue(a[2], values);
  }
  for (const name of m[2]?.split(',') ?? []) delete out[resolveName(name.trim(), names)];
  return out;
}

const keyOf = (key: Item) => `${key[PK]?.S}\u0000${key[SK]?.S}`;

export interface FakeDynamoOptions {
  /** Global secondary index name → hash key attribute (projection ALL). */
  readonly gsis?: Record<string, string>;
}

export class FakeDynamoDb {
  readonly items = new Map<string, Item>();
  /** When true, GSI queries return nothing (eventual consistency lag). */
  gsiLagging = false;
  readonly stub;

  constructor(
    client: DynamoDBClient,
    private readonly options: FakeDynamoOptions = {},
  ) {
    this.stub = mockClient(client);
    this.stub.on(GetItemCommand).callsFake((i) => this.getItem(i));
    this.stub.on(PutItemCommand).callsFake((i) => this.putItem(i));
    this.stub.on(UpdateItemCommand).callsFake((i) => this.updateItem(i));
    this.stub.on(DeleteItemCommand).callsFake((i) => this.deleteItem(i));
    this.stub.on(QueryCommand).callsFake((i) => this.query(i));
    this.stub.on(TransactWriteItemsCommand).callsFake((i) => this.transact(i));
  }

  private conditionFailed(old: Item | undefined, returnOld: boolean): never {
    throw new ConditionalCheckFailedException({
      message: 'The conditional request failed',
      $metadata: { httpStatusCode: 400 },
      ...(returnOld && old ? { Item: old } : {}),
    });
  }

  private getItem(i: { Key: Item }) {
    const item = this.items.get(keyOf(i.Key));
    return item ? { Item: { ...item } } : {};
  }

  private putItem(i: {
    Item: Item;
    ConditionExpression?: string;
    ExpressionAttributeNames?: Names;
    ExpressionAttributeValues?: Values;
    ReturnValues?: string;
    ReturnValuesOnConditionCheckFailure?: string;
  }) {
    const k = keyOf(i.Item);
    const old = this.items.get(k);
    if (!evalCondition(i.ConditionExpression, old, i.ExpressionAttributeNames, i.ExpressionAttributeValues)) {
      this.conditionFailed(old, i.ReturnValuesOnConditionCheckFailure === 'ALL_OLD');
    }
    this.items.set(k, { ...i.Item });
    return i.ReturnValues === 'ALL_OLD' && old ? { Attributes: old } : {};
  }

  private updateItem(i: {
    Key: Item;
    UpdateExpression: string;
    ConditionExpression?: string;
    ExpressionAttributeNames?: Names;
    ExpressionAttributeValues?: Values;
    ReturnValues?: string;
  }) {
    const k = keyOf(i.Key);
    const old = this.items.get(k);
    if (!evalCondition(i.ConditionExpression, old, i.ExpressionAttributeNames, i.ExpressionAttributeValues)) {
      this.conditionFailed(old, false);
    }
    const updated = applyUpdate(
      old ?? { ...i.Key },
      i.UpdateExpression,
      i.ExpressionAttributeNames,
      i.ExpressionAttributeValues,
    );
    this.items.set(k, updated);
    return i.ReturnValues === 'ALL_NEW' ? { Attributes: { ...updated } } : {};
  }

  private deleteItem(i: {
    Key: Item;
    ConditionExpression?: string;
    ExpressionAttributeNames?: Names;
    ExpressionAttributeValues?: Values;
    ReturnValues?: string;
  }) {
    const k = keyOf(i.Key);
    const old = this.items.get(k);
    if (!evalCondition(i.ConditionExpression, old, i.ExpressionAttributeNames, i.ExpressionAttributeValues)) {
      this.conditionFailed(old, false);
    }
    this.items.delete(k);
    return i.ReturnValues === 'ALL_OLD' && old ? { Attributes: old } : {};
  }

  private query(i: {
    IndexName?: string;
    KeyConditionExpression: string;
    FilterExpression?: string;
    ExpressionAttributeNames?: Names;
    ExpressionAttributeValues?: Values;
    ScanIndexForward?: boolean;
    Limit?: number;
    ExclusiveStartKey?: Item;
  }) {
    let candidates = [...this.items.values()];
    if (i.IndexName) {
      const hashAttr = this.options.gsis?.[i.IndexName];
      if (!hashAttr) throw new Error(`fake DynamoDB: no index ${i.IndexName}`);
      if (this.gsiLagging) return { Items: [] };
      candidates = candidates.filter((it) => it[hashAttr] !== undefined);
    }
    let matched = candidates.filter((it) =>
      evalCondition(i.KeyConditionExpression, it, i.ExpressionAttributeNames, i.ExpressionAttributeValues),
    );
    matched.sort((a, b) => ((a[SK]?.S ?? '') < (b[SK]?.S ?? '') ? -1 : 1));
    if (i.ScanIndexForward === false) matched.reverse();
    if (i.ExclusiveStartKey) {
      const at = matched.findIndex((it) => keyOf(it) === keyOf(i.ExclusiveStartKey!));
      matched = matched.slice(at + 1);
    }
    // Limit applies before the filter, as in DynamoDB.
    const page = i.Limit !== undefined ? matched.slice(0, i.Limit) : matched;
    const more = i.Limit !== undefined && matched.length > i.Limit;
    const items = page.filter((it) =>
      evalCondition(i.FilterExpression, it, i.ExpressionAttributeNames, i.ExpressionAttributeValues),
    );
    const last = page[page.length - 1];
    return {
      Items: items.map((it) => ({ ...it })),
      ...(more && last ? { LastEvaluatedKey: { [PK]: last[PK], [SK]: last[SK] } } : {}),
    };
  }

  private transact(i: { TransactItems: Record<string, Record<string, unknown>>[] }) {
    const ops = i.TransactItems.map((op) => {
      const entries = Object.entries(op);
      if (entries.length !== 1) throw new Error('fake DynamoDB: a transact item has exactly one operation');
      const [kind, body] = entries[0] as [string, Record<string, unknown>];
      if (!['ConditionCheck', 'Put', 'Update', 'Delete'].includes(kind))
        throw new Error(`fake DynamoDB: unsupported transact op ${kind}`);
      if (kind === 'ConditionCheck' && !body.ConditionExpression)
        throw new Error('fake DynamoDB: ConditionCheck needs a ConditionExpression');
      return { kind, body, key: keyOf((kind === 'Put' ? body.Item : body.Key) as Item) };
    });
    // like DynamoDB: one transaction cannot touch the same item twice (ValidationException)
    if (new Set(ops.map((o) => o.key)).size !== ops.length)
      throw new Error('fake DynamoDB: transaction touches the same item more than once');
    const reasons = ops.map(({ body, key }) => {
      const old = this.items.get(key);
      const ok = evalCondition(
        body.ConditionExpression as string | undefined,
        old,
        body.ExpressionAttributeNames as Names,
        body.ExpressionAttributeValues as Values,
      );
      if (ok) return { Code: 'None' };
      return {
        Code: 'ConditionalCheckFailed',
        ...(body.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && old ? { Item: { ...old } } : {}),
      };
    });
    if (reasons.some((r) => r.Code !== 'None')) {
      throw new TransactionCanceledException({
        message: 'Transaction cancelled',
        $metadata: { httpStatusCode: 400 },
        CancellationReasons: reasons,
      });
    }
    for (const { kind, body, key } of ops) {
      if (kind === 'Put') this.items.set(key, { ...(body.Item as Item) });
      else if (kind === 'Delete') this.items.delete(key);
      else if (kind === 'Update') {
        if ('ReturnValues' in body) throw new Error('fake DynamoDB: transact Update has no ReturnValues');
        this.items.set(
          key,
          applyUpdate(
            this.items.get(key) ?? { ...(body.Key as Item) },
            body.UpdateExpression as string,
            body.ExpressionAttributeNames as Names,
            body.ExpressionAttributeValues as Values,
          ),
        );
      }
      // ConditionCheck: checked above, writes nothing
    }
    return {};
  }
}
