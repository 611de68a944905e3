// fast-check arbitraries that damage a sample event the ways real input goes wrong: fields dropped,
// wrong types, nulls, huge and unicode strings, unknown extra fields (AWS adds fields without notice),
// another source or detail-type, or not an object at all. Mutations are plain data so fast-check can
// print and shrink them.
import fc from 'fast-check';

export type Segment = string | number;
export type Path = Segment[];

export type Mutation =
  | { kind: 'drop'; path: Path }
  | { kind: 'replace'; path: Path; value: unknown }
  | { kind: 'tweak'; path: Path; how: 'upper' | 'truncate' | 'pad' | 'suffix'; text: string }
  | { kind: 'extra'; path: Path; key: string; value: unknown };

/** Sources and detail types of every event in the project, and a few neighbours. */
export const ROUTES = {
  source: [
    'aws.autoscaling',
    'aws.ec2',
    'aws.ecs',
    'aws.events',
    'aws.scheduler',
    'ecs-autopilot',
    'aws.health',
  ],
  'detail-type': [
    'EC2 Instance-terminate Lifecycle Action',
    'EC2 Instance-launch Lifecycle Action',
    'EC2 Spot Instance Interruption Warning',
    'EC2 Instance Rebalance Recommendation',
    'ECS Task State Change',
    'ECS Container Instance State Change',
    'ECS Service Action',
    'ECS Deployment State Change',
    'Scheduled Event',
    'Capacity Request',
  ],
} as const;

/** Text that breaks naive parsers, loggers and string handling. */
export const NASTY_STRINGS = [
  '',
  ' ',
  '\n',
  'null',
  'undefined',
  '0',
  '-1',
  '1e309',
  'true',
  '{}',
  '[]',
  '{"level":"ERROR","message":"forged"}',
  '\n{"level":"ERROR","message":"forged","service":"drain-instance"}\n',
  '\r\n\t\u0000\u0007\u001b[31m',
  '\u202e\u200b\ufeff',
  '\ud800',
  '__proto__',
  'constructor',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log-injection probe, literal on purpose
  '${jndi:ldap://127.0.0.1/a}',
  '<script>alert(1)</script>',
  '../../../etc/passwd',
  "' OR '1'='1",
  '%s%n%x',
  'i-0a1b2c3d4e5f60001\n',
  'arn:aws:ecs:us-east-1:123456789012:cluster/web/../other',
  '2026-02-30T25:61:00Z',
  'Ω≈ç√∫˜µ≤≥÷ 田中さん 👩‍👩‍👧‍👦 ﷽',
];

const EXTRA_KEYS = [
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'then',
  'newField',
  'Detail',
  'DETAIL',
  'source ',
  'detail-type ',
  'eventBusName',
  'replay-name',
];

/** Strings at most ~200 KB in UTF-8: an EventBridge event is at most 256 KB. */
const hugeString = fc
  .tuple(fc.integer({ min: 1_000, max: 50_000 }), fc.constantFrom('x', 'é', '😀', '\u202e', '\n', '{"a":'))
  .map(([length, unit]) => unit.repeat(length));

const scalar = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(...NASTY_STRINGS),
);

/** A wrong value: another type, null, a huge or strange string, a small structure. */
export const junk: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: scalar },
  { weight: 1, arbitrary: hugeString },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), scalar, { maxKeys: 3 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

const extraValue = fc.jsonValue({ maxDepth: 2 });

const extraKey = fc.oneof(fc.constantFrom(...EXTRA_KEYS), fc.string({ minLength: 1, maxLength: 12 }));

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every path in a JSON value, root first. */
export function pathsOf(value: unknown, prefix: Path = []): Path[] {
  const paths: Path[] = [prefix];
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) paths.push(...pathsOf(item, [...prefix, index]));
  } else if (isObject(value)) {
    for (const [key, item] of Object.entries(value)) paths.push(...pathsOf(item, [...prefix, key]));
  }
  return paths;
}

function valueAt(value: unknown, path: Path): unknown {
  let current = value;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<Segment, unknown>)[segment];
  }
  return current;
}

/** Sets an own property, even `__proto__`, as JSON.parse would. */
function define(target: Record<Segment, unknown>, key: Segment, value: unknown) {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function tweak(text: string, how: Extract<Mutation, { kind: 'tweak' }>['how'], extra: string): string {
  if (how === 'upper') return text.toUpperCase();
  if (how === 'truncate') return text.slice(0, Math.floor(text.length / 2));
  if (how === 'pad') return ` ${text}\n`;
  return `${text}${extra}`;
}

/** A deep copy of the event with the mutations applied in order; one whose target is gone is skipped. */
export function applyMutations(event: unknown, mutations: readonly Mutation[]): unknown {
  let root: unknown = structuredClone(event);
  for (const mutation of mutations) {
    const { path } = mutation;
    if (path.length === 0) {
      if (mutation.kind === 'replace') root = structuredClone(mutation.value);
      else if (mutation.kind === 'extra' && isObject(root))
        define(root, mutation.key, structuredClone(mutation.value));
      continue;
    }
    const parent = valueAt(root, path.slice(0, -1));
    const key = path.at(-1) as Segment;
    if (typeof parent !== 'object' || parent === null) continue;
    const target = parent as Record<Segment, unknown>;
    switch (mutation.kind) {
      case 'drop':
        if (Array.isArray(parent) && typeof key === 'number') parent.splice(key, 1);
        else delete target[key];
        break;
      case 'replace':
        define(target, key, structuredClone(mutation.value));
        break;
      case 'tweak':
        if (typeof target[key] === 'string')
          define(target, key, tweak(target[key], mutation.how, mutation.text));
        break;
      case 'extra': {
        const object = target[key];
        if (isObject(object) && !Object.hasOwn(object, mutation.key)) {
          define(object, mutation.key, structuredClone(mutation.value));
        }
        break;
      }
    }
  }
  return root;
}

/** Mutations that only add unknown fields: the event must mean what it meant before. */
export function extraFieldsOnly(mutations: readonly Mutation[]): boolean {
  return mutations.every((mutation) => mutation.kind === 'extra');
}

/** One damaging mutation of `event`. */
export function mutationOf(event: unknown): fc.Arbitrary<Mutation> {
  const paths = pathsOf(event);
  const inner = paths.filter((path) => path.length > 0);
  const objects = paths.filter((path) => isObject(valueAt(event, path)));
  const strings = inner.filter((path) => typeof valueAt(event, path) === 'string');
  const options: fc.WeightedArbitrary<Mutation>[] = [
    { weight: 1, arbitrary: junk.map((value): Mutation => ({ kind: 'replace', path: [], value })) },
  ];
  if (inner.length > 0) {
    const path = fc.constantFrom(...inner);
    options.push(
      { weight: 4, arbitrary: path.map((at): Mutation => ({ kind: 'drop', path: at })) },
      {
        weight: 5,
        arbitrary: fc
          .tuple(path, junk)
          .map(([at, value]): Mutation => ({ kind: 'replace', path: at, value })),
      },
    );
  }
  if (strings.length > 0) {
    options.push({
      weight: 2,
      arbitrary: fc
        .tuple(
          fc.constantFrom(...strings),
          fc.constantFrom('upper' as const, 'truncate' as const, 'pad' as const, 'suffix' as const),
          fc.constantFrom(...NASTY_STRINGS),
        )
        .map(([at, how, text]): Mutation => ({ kind: 'tweak', path: at, how, text })),
    });
  }
  if (objects.length > 0) options.push({ weight: 3, arbitrary: extraFieldOf(event) });
  if (isObject(event)) {
    options.push({
      weight: 2,
      arbitrary: fc.oneof(
        fc
          .constantFrom(...ROUTES.source)
          .map((value): Mutation => ({ kind: 'replace', path: ['source'], value })),
        fc
          .constantFrom(...ROUTES['detail-type'])
          .map((value): Mutation => ({ kind: 'replace', path: ['detail-type'], value })),
      ),
    });
  }
  return fc.oneof(...options);
}

/** One unknown field added to one of the event's objects. */
export function extraFieldOf(event: unknown): fc.Arbitrary<Mutation> {
  const objects = pathsOf(event).filter((path) => isObject(valueAt(event, path)));
  return fc
    .tuple(fc.constantFrom(...objects), extraKey, extraValue)
    .map(([path, key, value]): Mutation => ({ kind: 'extra', path, key, value }));
}

/**
 * A case: which sample, and one to three mutations of it (a quarter of cases add unknown fields only).
 * The arbitraries are built once per sample: building them per case costs more than running the case.
 */
export function casesOf<T extends { event: unknown }>(samples: readonly T[]) {
  return fc.oneof(
    ...samples.map((sample) => {
      const hasObjects = pathsOf(sample.event).some((path) => isObject(valueAt(sample.event, path)));
      const damaging = fc.array(mutationOf(sample.event), { minLength: 1, maxLength: 3 });
      const mutations = hasObjects
        ? fc.oneof(
            { weight: 3, arbitrary: damaging },
            { weight: 1, arbitrary: fc.array(extraFieldOf(sample.event), { minLength: 1, maxLength: 3 }) },
          )
        : damaging;
      return mutations.map((list) => ({ sample, mutations: list }));
    }),
  );
}

/** Appended to a valid value, these keep it valid to a loose parser and break careless code after it. */
export const HOSTILE_SUFFIXES = [
  '\ud800',
  '\n{"level":"ERROR","message":"forged"}',
  '\u0000\u001b[31m',
  '\u202e',
  ' 田中😀',
];

/**
 * The deterministic part of the fuzzing: every field of every sample dropped and set to null, and every
 * string field given each hostile suffix. Random cases rarely hit one field with one exact value.
 */
export function sweepOf<T extends { event: unknown }>(
  samples: readonly T[],
): { sample: T; mutations: Mutation[] }[] {
  return samples.flatMap((sample) =>
    pathsOf(sample.event)
      .filter((path) => path.length > 0)
      .flatMap((path) => [
        { sample, mutations: [{ kind: 'drop', path }] satisfies Mutation[] },
        { sample, mutations: [{ kind: 'replace', path, value: null }] satisfies Mutation[] },
        ...(typeof valueAt(sample.event, path) === 'string'
          ? HOSTILE_SUFFIXES.map((text) => ({
              sample,
              mutations: [{ kind: 'tweak', path, how: 'suffix', text }] satisfies Mutation[],
            }))
          : []),
      ]),
  );
}

/** `detail.containers[0].name` -> ['detail', 'containers', '0', 'name']. */
export function segmentsOf(path: string): string[] {
  return path.split(/\.|\[|\]/).filter((segment) => segment !== '');
}

const startsWith = (path: readonly string[], prefix: readonly string[]) =>
  prefix.length <= path.length && prefix.every((segment, index) => segment === path[index]);

/**
 * Where a path applied at one point of the damage is in the damaged event: each later drop of an
 * element before it in the same array moves it one place down (mutations apply in order, each on the
 * event as the earlier ones left it).
 */
function finalPath(path: readonly Segment[], later: readonly Mutation[]): Segment[] {
  const moved = [...path];
  for (const mutation of later) {
    if (mutation.kind !== 'drop') continue;
    const dropped = mutation.path;
    const at = dropped.length - 1;
    const droppedIndex = dropped[at];
    const ownIndex = moved[at];
    if (typeof droppedIndex !== 'number' || typeof ownIndex !== 'number' || moved.length <= at) continue;
    if (!dropped.slice(0, at).every((segment, i) => segment === moved[i])) continue;
    if (ownIndex > droppedIndex) moved[at] = ownIndex - 1;
  }
  return moved;
}

/**
 * Whether a reported issue names the damaged field: the field itself, a field inside it (a dropped
 * object's missing members) or the object holding it (a rule across its fields). The event's root
 * counts only for damage at the top level (an event no longer recognisable as one of the kinds).
 */
export function namesDamage(
  issuePath: string,
  mutations: readonly Mutation[],
  routing: readonly string[] = [],
): boolean {
  const issue = segmentsOf(issuePath);
  const routes = ['source', 'detail-type', ...routing];
  return mutations.some((mutation, index) => {
    const damaged = mutation.kind === 'extra' ? [...mutation.path, mutation.key] : mutation.path;
    const path = finalPath(damaged, mutations.slice(index + 1)).map(String);
    if (path.length === 0) return true;
    // A field deciding what kind of event this is (source, detail-type...) sends it elsewhere: any field
    // of the new reading may be named.
    if (routes.some((route) => startsWith(path, segmentsOf(route)))) return true;
    if (issue.length === 0) return path.length === 1;
    return startsWith(path, issue) || startsWith(issue, path);
  });
}

/**
 * Lengths just past the limits AWS puts on the fields events carry or requests take (36-character
 * tokens, 64-character client tokens, 128 startedBy, 255 names and reasons, 1600 ARNs, 1024/2048-byte
 * sort and partition keys) and huge ones (SNS's 256 KB message, DynamoDB's 400 KB item).
 */
export const OVERSIZE_LENGTHS = [37, 65, 129, 256, 1025, 1601, 2049, 100_000, 200_000];

/**
 * Every string field of every sample made longer than each of {@link OVERSIZE_LENGTHS}, by repeating
 * its own last character (so an id stays id-like as long as it can) or, for a fraction, a multi-byte one.
 */
export function oversizeSweepOf<T extends { event: unknown }>(
  samples: readonly T[],
): { sample: T; mutations: Mutation[] }[] {
  return samples.flatMap((sample) =>
    pathsOf(sample.event)
      .filter((path) => path.length > 0 && typeof valueAt(sample.event, path) === 'string')
      .flatMap((path) => {
        const text = valueAt(sample.event, path) as string;
        return OVERSIZE_LENGTHS.flatMap((length) =>
          [text.at(-1) || 'x', 'é'].map((unit) => ({
            sample,
            mutations: [
              {
                kind: 'tweak',
                path,
                how: 'suffix',
                text: unit.repeat(Math.max(1, length - text.length)),
              },
            ] satisfies Mutation[],
          })),
        );
      }),
  );
}
