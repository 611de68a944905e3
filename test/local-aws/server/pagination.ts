/**
 * Opaque page tokens, bound to the request that made them: a token used with other filters is
 * rejected, as AWS does, instead of silently paging through something else.
 */
import { createHash } from 'node:crypto';
import type { AwsApiError } from '../model/errors';

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

function fingerprint(scope: unknown): string {
  return createHash('sha256').update(JSON.stringify(scope)).digest('hex').slice(0, 16);
}

export function paginate<T>(
  items: readonly T[],
  options: {
    token: string | undefined;
    pageSize: number;
    /** The filters of the request; the token only works with the same ones. */
    scope: unknown;
    invalidToken: () => AwsApiError;
  },
): Page<T> {
  let offset = 0;
  const scope = fingerprint(options.scope);
  if (options.token) {
    try {
      const decoded = JSON.parse(Buffer.from(options.token, 'base64url').toString('utf8')) as {
        o?: unknown;
        s?: unknown;
      };
      if (typeof decoded.o !== 'number' || decoded.s !== scope) throw new Error('mismatch');
      offset = decoded.o;
    } catch {
      throw options.invalidToken();
    }
  }
  const page = items.slice(offset, offset + options.pageSize);
  const next = offset + options.pageSize;
  return {
    items: page,
    nextToken:
      next < items.length
        ? Buffer.from(JSON.stringify({ o: next, s: scope })).toString('base64url')
        : undefined,
  };
}
