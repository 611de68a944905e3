/** memberOf placement constraints, compiled once per expression with the cluster query language. */
import type { InstanceView } from '../ecs/container-instance';
import { evaluate, parse } from '../ecs/query';
import { referencesTaskGroup } from '../ecs/query/ast';
import type { MemberOf } from './packing';

export function compileMemberOf(text: string): MemberOf {
  const expression = parse(text);
  return {
    text,
    usesTaskGroups: referencesTaskGroup(expression),
    test: (view: InstanceView) => evaluate(expression, view),
  };
}
