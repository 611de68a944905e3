import { readFileSync } from 'node:fs';
import { type CollectionTag, parse, type ScalarTag, type YAMLMap, type YAMLSeq } from 'yaml';

/** The CloudFormation short-form intrinsics, turned into their long form (`!Ref X` → `{ Ref: 'X' }`). */
const INTRINSICS = [
  'Ref',
  'Condition',
  'Sub',
  'GetAtt',
  'Join',
  'If',
  'Select',
  'Split',
  'Equals',
  'Not',
  'And',
  'Or',
  'FindInMap',
  'Base64',
  'Cidr',
  'GetAZs',
  'ImportValue',
  'ToJsonString',
] as const;

const longName = (name: string) => (name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`);

const cfnTags: (ScalarTag | CollectionTag)[] = INTRINSICS.flatMap((name) => {
  const key = longName(name);
  const scalar: ScalarTag = {
    tag: `!${name}`,
    // `!GetAtt Resource.Attribute` is the one scalar form with structure.
    resolve: (value: string) => ({ [key]: name === 'GetAtt' ? value.split('.') : value }),
  };
  const collection = (kind: 'seq' | 'map'): CollectionTag => ({
    tag: `!${name}`,
    collection: kind,
    resolve: (value: YAMLMap.Parsed | YAMLSeq.Parsed) => ({ [key]: value.toJSON() }),
  });
  return [scalar, collection('seq'), collection('map')];
});

export type CfnTemplate = {
  Parameters?: Record<string, { Type: string; Default?: unknown; AllowedValues?: unknown[] }>;
  Conditions?: Record<string, unknown>;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  Resources: Record<
    string,
    {
      Type: string;
      Properties?: Record<string, unknown>;
      Metadata?: Record<string, unknown>;
      Condition?: string;
    }
  >;
  Outputs?: Record<string, unknown>;
  Globals?: Record<string, unknown>;
};

/** Parses a CloudFormation/SAM YAML template, short-form intrinsic tags included. */
export function parseCfnYaml(text: string): CfnTemplate {
  return parse(text, { customTags: cfnTags }) as CfnTemplate;
}

export function loadCfnYaml(path: string): CfnTemplate {
  return parseCfnYaml(readFileSync(path, 'utf8'));
}
