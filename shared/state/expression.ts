import type { ItemKey } from './keys';
import type { UpdateInput } from './table';

/** An UpdateItem as data; every attribute name goes through `#name` (status, count, ttl are reserved). */
export interface Update {
  set?: Record<string, unknown>;
  setIfNotExists?: Record<string, unknown>;
  add?: Record<string, unknown>;
  /** Appends to a list attribute, creating it when absent. */
  append?: Record<string, unknown[]>;
  remove?: string[];
  /** Removes elements from a set attribute. */
  deleteFromSet?: Record<string, Set<string>>;
  /** A condition naming attributes as `#name`. */
  condition?: string;
  /** Extra values the condition refers to (`:name`). */
  values?: Record<string, unknown>;
}

export type ReturnValues = 'ALL_NEW' | 'ALL_OLD' | 'UPDATED_NEW';

/** The UpdateItem input of `update` on `key`. */
export function updateInput(key: ItemKey, update: Update, returnValues?: ReturnValues): UpdateInput {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = { ...update.values };
  const name = (attribute: string) => {
    names[`#${attribute}`] = attribute;
    return `#${attribute}`;
  };
  const sets = [
    ...Object.entries(update.set ?? {}).map(([attribute, value]) => {
      values[`:s_${attribute}`] = value;
      return `${name(attribute)} = :s_${attribute}`;
    }),
    ...Object.entries(update.setIfNotExists ?? {}).map(([attribute, value]) => {
      values[`:n_${attribute}`] = value;
      return `${name(attribute)} = if_not_exists(${name(attribute)}, :n_${attribute})`;
    }),
    ...Object.entries(update.append ?? {}).map(([attribute, items]) => {
      values[`:l_${attribute}`] = items;
      values[':emptyList'] = [];
      return `${name(attribute)} = list_append(if_not_exists(${name(attribute)}, :emptyList), :l_${attribute})`;
    }),
  ];
  const adds = Object.entries(update.add ?? {}).map(([attribute, value]) => {
    values[`:a_${attribute}`] = value;
    return `${name(attribute)} :a_${attribute}`;
  });
  const removes = (update.remove ?? []).map(name);
  const deletes = Object.entries(update.deleteFromSet ?? {}).map(([attribute, elements]) => {
    values[`:d_${attribute}`] = elements;
    return `${name(attribute)} :d_${attribute}`;
  });
  const clauses = [
    sets.length ? `SET ${sets.join(', ')}` : '',
    adds.length ? `ADD ${adds.join(', ')}` : '',
    removes.length ? `REMOVE ${removes.join(', ')}` : '',
    deletes.length ? `DELETE ${deletes.join(', ')}` : '',
  ].filter(Boolean);
  for (const match of update.condition?.matchAll(/#(\w+)/g) ?? []) name(match[1] as string);
  return {
    Key: key,
    UpdateExpression: clauses.join(' '),
    ExpressionAttributeNames: names,
    ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
    ...(update.condition ? { ConditionExpression: update.condition } : {}),
    ...(returnValues ? { ReturnValues: returnValues } : {}),
  };
}
