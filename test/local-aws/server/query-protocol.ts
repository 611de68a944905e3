/**
 * The AWS Query protocol (Auto Scaling, SNS): form-encoded requests with `member`/`entry` lists,
 * XML responses with `<member>` lists, `<ErrorResponse>` errors.
 */
import { XMLBuilder } from 'fast-xml-parser';

export type QueryValue = string | QueryValue[] | { [key: string]: QueryValue };
export type QueryParams = { [key: string]: QueryValue };

/**
 * `Filters.member.1.Values.member.2=x` -> `{ Filters: [{ Values: [, 'x'] }] }`. `member.N` and
 * `entry.N` become array positions (1-based on the wire).
 */
export function parseQueryParams(body: string): QueryParams {
  const root: QueryParams = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const path = key.split('.');
    let node: QueryParams | QueryValue[] = root;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i] as string;
      const last = i === path.length - 1;
      if ((segment === 'member' || segment === 'entry') && i + 1 < path.length) continue;
      const index = /^\d+$/.test(segment) && Array.isArray(node) ? Number(segment) - 1 : undefined;
      const container = node as Record<string | number, QueryValue>;
      const slot = index ?? segment;
      if (last) {
        container[slot] = value;
        break;
      }
      const next = path[i + 1] as string;
      const wantsArray = next === 'member' || next === 'entry';
      if (container[slot] === undefined) container[slot] = wantsArray ? [] : {};
      node = container[slot] as QueryParams | QueryValue[];
    }
  }
  return root;
}

export function str(params: QueryParams, key: string): string | undefined {
  const value = params[key];
  return typeof value === 'string' ? value : undefined;
}

export function list(params: QueryParams, key: string): QueryValue[] {
  const value = params[key];
  if (value === undefined || value === '') return [];
  return Array.isArray(value) ? value.filter((item) => item !== undefined) : [];
}

export function strings(params: QueryParams, key: string): string[] {
  return list(params, key).filter((item): item is string => typeof item === 'string');
}

const builder = new XMLBuilder({ ignoreAttributes: false, format: false, suppressEmptyNode: false });

/** Turns arrays into `<member>` lists and dates into ISO strings, as Query responses carry them. */
function toXmlTree(value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return { member: value.map(toXmlTree) };
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, toXmlTree(v)]),
    );
  }
  return value;
}

export function queryResponse(action: string, namespace: string, result: unknown, requestId: string): string {
  return `<?xml version="1.0"?>${builder.build({
    [`${action}Response`]: {
      '@_xmlns': namespace,
      ...(result === undefined ? {} : { [`${action}Result`]: toXmlTree(result) }),
      ResponseMetadata: { RequestId: requestId },
    },
  })}`;
}

export function queryError(
  namespace: string,
  code: string,
  message: string,
  requestId: string,
  type: 'Sender' | 'Receiver' = 'Sender',
): string {
  return `<?xml version="1.0"?>${builder.build({
    ErrorResponse: {
      '@_xmlns': namespace,
      Error: { Type: type, Code: code, Message: message },
      RequestId: requestId,
    },
  })}`;
}
