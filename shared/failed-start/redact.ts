/**
 * Credential-looking text in quoted reasons is replaced by a marker before it reaches mail, chat or a
 * queue: ECS quotes container commands and URLs as they were, and a command line may carry a password.
 * The patterns are narrow on purpose: ARNs (`secret:db-password-AbC`), image names and error words are
 * what makes an alert useful, so a `:` separates a key from its value only for password-like keys and
 * only when a space follows.
 */
export const REDACTED = '[redacted]';

const KEY = String.raw`[\w.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|signature)[\w.-]*`;
const VALUE = String.raw`(?:"[^"]*"|'[^']*'|[^\s,;&"'\]\)]+)`;

const RULES: readonly [RegExp, string][] = [
  // user:password@host in a URL
  [/\b([a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:)[^@\s/]+@/gi, `$1${REDACTED}@`],
  // key=value, "key": "value", KEY = value
  [new RegExp(String.raw`(["']?${KEY}["']?\s*=\s*)${VALUE}`, 'gi'), `$1${REDACTED}`],
  [new RegExp(String.raw`("${KEY}"\s*:\s*)${VALUE}`, 'gi'), `$1${REDACTED}`],
  [/(\b[\w.-]*(?:password|passwd|pwd)[\w.-]*:\s+)(?:"[^"]*"|'[^']*'|\S+)/gi, `$1${REDACTED}`],
  // --password value, -password value
  [/(\s--?[\w-]*(?:password|passwd|secret|token|api-?key)[\w-]*\s+)(?!-)\S+/gi, `$1${REDACTED}`],
  // Authorization: Bearer xxx / Basic xxx
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, `$1 ${REDACTED}`],
  // AWS access key ids (AKIA long-term, ASIA temporary)
  [/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, REDACTED],
  // JSON Web Tokens
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, REDACTED],
];

export function redact(text: string): string {
  let result = text;
  for (const [pattern, replacement] of RULES) result = result.replace(pattern, replacement);
  return result;
}

/** Every string of a JSON value redacted. */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((item) => redactDeep(item)) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactDeep(item)])) as T;
  }
  return value;
}
