import type { CfnTemplate } from './cfn-yaml';

/**
 * Evaluates a CloudFormation template far enough to compare two templates written differently (the
 * CDK's output and the hand-written SAM template): parameters are replaced by values, conditions and
 * Fn::If decided, Fn::ForEach (AWS::LanguageExtensions) expanded, and every string built from
 * intrinsics flattened to one canonical string (Fn::FindInMap read from Mappings, with the
 * AWS::LanguageExtensions `DefaultValue`) where pseudo parameters read `${AWS::Region}` and
 * resources `${Name}` / `${Name.Attribute}`, Name being the logical id passed through `rename`.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Resources = CfnTemplate['Resources'];

const NO_VALUE = Symbol('AWS::NoValue');

export interface ResolveOptions {
  parameters?: Record<string, string | string[]>;
  /** Maps a logical id to the name used in canonical strings (e.g. strips the CDK's hash). */
  rename?: (logicalId: string) => string;
}

export interface Resolved {
  resources: Record<string, { Type: string; Properties: Record<string, Json>; Metadata?: Json }>;
  /** Canonical name → original logical id. */
  logicalIds: Record<string, string>;
}

export function resolveTemplate(template: CfnTemplate, options: ResolveOptions = {}): Resolved {
  const rename = options.rename ?? ((id: string) => id);
  const parameters: Record<string, Json> = {};
  for (const [name, definition] of Object.entries(template.Parameters ?? {})) {
    const given = options.parameters?.[name];
    const raw = given ?? (definition.Default as string | undefined);
    if (raw === undefined) throw new Error(`Parameter ${name} has no value and no default`);
    parameters[name] =
      definition.Type === 'CommaDelimitedList' || definition.Type.startsWith('List<')
        ? Array.isArray(raw)
          ? raw
          : String(raw)
              .split(',')
              .map((item) => item.trim())
              .filter((item) => item !== '')
        : definition.Type === 'Number'
          ? Number(raw)
          : Array.isArray(raw)
            ? raw.join(',')
            : String(raw);
  }
  for (const name of Object.keys(options.parameters ?? {})) {
    if (!(name in parameters)) throw new Error(`Unknown parameter ${name}`);
  }

  const resources = expandForEach(template.Resources as Record<string, unknown>, parameters) as Resources;
  for (const id of Object.keys(resources)) {
    if (id in parameters) throw new Error(`${id} is both a parameter and a resource`);
  }
  const context: Context = {
    mappings: template.Mappings ?? {},
    parameters,
    conditions: {},
    resources,
    generated: samGenerated(resources),
    rename,
    locals: {},
  };
  const conditions = expandForEach(template.Conditions ?? {}, parameters);
  for (const [name, expression] of Object.entries(conditions)) {
    context.conditions[name] = Boolean(evaluate(expression, context));
  }

  const resolved: Resolved = { resources: {}, logicalIds: {} };
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Condition && !(resource.Condition in context.conditions)) {
      throw new Error(`${id} has an unknown condition ${resource.Condition}`);
    }
    if (resource.Condition && !context.conditions[resource.Condition]) continue;
    const name = rename(id);
    if (resolved.logicalIds[name]) throw new Error(`Two resources named ${name}`);
    resolved.logicalIds[name] = id;
    resolved.resources[name] = {
      Type: resource.Type,
      Properties: (evaluate(resource.Properties ?? {}, context) ?? {}) as Record<string, Json>,
      ...(resource.Metadata ? { Metadata: evaluate(resource.Metadata, context) as Json } : {}),
    };
  }
  return resolved;
}

interface Context {
  mappings: NonNullable<CfnTemplate['Mappings']>;
  parameters: Record<string, Json>;
  conditions: Record<string, boolean>;
  resources: Resources;
  /** Resources SAM generates from a function's Events, which the template may reference. */
  generated: Set<string>;
  rename: (logicalId: string) => string;
  /** Fn::Sub variables and Fn::ForEach identifiers. */
  locals: Record<string, Json>;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function evaluate(value: unknown, context: Context): Json | typeof NO_VALUE {
  if (Array.isArray(value)) {
    return value.map((item) => evaluate(item, context)).filter((item): item is Json => item !== NO_VALUE);
  }
  if (!isRecord(value)) return value as Json;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const [key] = keys;
    const argument = value[key];
    const result = intrinsic(key, argument, context);
    if (result !== undefined) return result;
  }
  const out: Record<string, Json> = {};
  for (const [key, item] of Object.entries(value)) {
    const evaluated = evaluate(item, context);
    if (evaluated !== NO_VALUE) out[key] = evaluated;
  }
  return out;
}

function str(value: Json | typeof NO_VALUE, what: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new Error(`${what} expects a string, got ${JSON.stringify(value)}`);
}

function reference(name: string, context: Context): Json | typeof NO_VALUE {
  if (name === 'AWS::NoValue') return NO_VALUE;
  if (name.startsWith('AWS::')) return `\${${name}}`;
  if (name in context.locals) return context.locals[name];
  if (name in context.parameters) return context.parameters[name];
  if (name in context.resources || context.generated.has(name)) return `\${${context.rename(name)}}`;
  throw new Error(`Unresolvable reference ${name}`);
}

/** Returns undefined when `key` is not an intrinsic function. */
function intrinsic(key: string, argument: unknown, context: Context): Json | typeof NO_VALUE | undefined {
  const ev = (item: unknown) => evaluate(item, context);
  switch (key) {
    case 'Ref':
      return reference(String(argument), context);
    case 'Condition':
      return context.conditions[String(argument)] ?? fail(`Unknown condition ${String(argument)}`);
    case 'Fn::GetAtt': {
      const [resource, attribute] = Array.isArray(argument) ? argument : String(argument).split('.');
      if (!(String(resource) in context.resources) && !context.generated.has(String(resource)))
        throw new Error(`GetAtt of unknown resource ${String(resource)}`);
      return `\${${context.rename(String(resource))}.${str(ev(attribute), 'GetAtt')}}`;
    }
    case 'Fn::Sub': {
      const [text, variables] = Array.isArray(argument) ? argument : [argument, {}];
      const locals = { ...context.locals };
      for (const [name, item] of Object.entries((variables ?? {}) as Record<string, unknown>))
        locals[name] = ev(item) as Json;
      const inner = { ...context, locals };
      return String(text)
        .replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
          if (name.includes('.') && !name.startsWith('AWS::')) {
            const [resource, attribute] = name.split('.');
            return str(intrinsic('Fn::GetAtt', [resource, attribute], inner) as Json, 'Sub');
          }
          return str(reference(name, inner), `Sub \${${name}}`);
        })
        .replace(/\$\{!/g, '${'); // `${!Literal}` is Sub's escape for a literal `${Literal}`
    }
    case 'Fn::Join': {
      const [delimiter, items] = argument as [string, unknown];
      const list = ev(items);
      if (!Array.isArray(list)) throw new Error('Fn::Join needs a list');
      return list.map((item) => str(item, 'Join')).join(delimiter);
    }
    case 'Fn::Split': {
      const [delimiter, text] = argument as [unknown, unknown];
      // A delimiter written `!Sub ",${Identifier}="` inside Fn::ForEach: the transform leaves a literal.
      return str(ev(text), 'Split').split(str(ev(delimiter), 'Split delimiter'));
    }
    case 'Fn::Select': {
      const [index, list] = argument as [unknown, unknown];
      const items = ev(list);
      if (!Array.isArray(items)) throw new Error('Fn::Select needs a list');
      return items[Number(ev(index))] ?? fail(`Fn::Select index ${String(index)} out of range`);
    }
    case 'Fn::If': {
      const [condition, whenTrue, whenFalse] = argument as [string, unknown, unknown];
      if (!(condition in context.conditions)) throw new Error(`Unknown condition ${condition}`);
      return context.conditions[condition] ? ev(whenTrue) : ev(whenFalse);
    }
    case 'Fn::Equals': {
      const [left, right] = argument as [unknown, unknown];
      return JSON.stringify(ev(left)) === JSON.stringify(ev(right));
    }
    case 'Fn::Not':
      return !(ev((argument as unknown[])[0]) as boolean);
    case 'Fn::And':
      return (argument as unknown[]).every((item) => ev(item) === true);
    case 'Fn::Or':
      return (argument as unknown[]).some((item) => ev(item) === true);
    case 'Fn::ToJsonString':
      return JSON.stringify(ev(argument));
    case 'Fn::FindInMap': {
      const [map, key, attribute, options] = argument as [unknown, unknown, unknown, unknown];
      const found =
        context.mappings[str(ev(map), 'FindInMap')]?.[str(ev(key), 'FindInMap')]?.[
          str(ev(attribute), 'FindInMap')
        ];
      if (found !== undefined) return found as Json;
      if (isRecord(options) && 'DefaultValue' in options) return ev(options.DefaultValue);
      return fail(`Fn::FindInMap ${JSON.stringify(argument)} finds nothing`);
    }
    case 'Fn::Base64':
    case 'Fn::ImportValue':
    case 'Fn::GetAZs':
    case 'Fn::Cidr':
      throw new Error(`${key} is not supported by this resolver`);
    default:
      return key.startsWith('Fn::') ? fail(`Unknown intrinsic ${key}`) : undefined;
  }
}

/**
 * The EventBridge rules SAM generates for a function's `EventBridgeRule` and `Schedule` events, named
 * `<function logical id><event id>` ("Referencing generated AWS CloudFormation resources", AWS SAM
 * Developer Guide).
 */
function samGenerated(resources: Resources): Set<string> {
  const names = new Set<string>();
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::Serverless::Function') continue;
    const events = ((resource.Properties ?? {}) as { Events?: Record<string, { Type?: string }> }).Events;
    for (const [event, definition] of Object.entries(events ?? {})) {
      if (definition.Type === 'EventBridgeRule' || definition.Type === 'Schedule') names.add(`${id}${event}`);
    }
  }
  return names;
}

function fail(message: string): never {
  throw new Error(message);
}

/**
 * `Fn::ForEach::Name: [Identifier, Collection, { 'Key${Identifier}' or 'Key&{Identifier}': body }]`:
 * one copy of the body per item, `&{}` keeping only the item's alphanumeric characters.
 */
function expandForEach(
  section: Record<string, unknown>,
  parameters: Record<string, Json>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(section)) {
    if (!key.startsWith('Fn::ForEach::')) {
      out[key] = value;
      continue;
    }
    const [identifier, collection, template] = value as [string, unknown, Record<string, unknown>];
    const items =
      isRecord(collection) && 'Ref' in collection ? parameters[String(collection.Ref)] : collection;
    if (!Array.isArray(items)) throw new Error(`${key}: the collection must be a list`);
    for (const item of items) {
      const text = String(item);
      const substitute = (input: unknown): unknown => {
        if (typeof input === 'string') {
          return input
            .replaceAll(`\${${identifier}}`, text)
            .replaceAll(`&{${identifier}}`, text.replace(/[^A-Za-z0-9]/g, ''));
        }
        if (Array.isArray(input)) return input.map(substitute);
        if (isRecord(input)) {
          if (Object.keys(input).length === 1 && input.Ref === identifier) return text;
          return Object.fromEntries(
            Object.entries(input).map(([k, v]) => [substitute(k) as string, substitute(v)]),
          );
        }
        return input;
      };
      Object.assign(out, expandForEach(substitute(template) as Record<string, unknown>, parameters));
    }
  }
  return out;
}
