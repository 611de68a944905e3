/**
 * A resolved CloudFormation value as one string, the way cdk-nag writes the resources of its findings
 * (`Resource::arn:<AWS::Partition>:ecs:...:task/web/*`), so an acknowledgement names exactly them.
 * Written here because cdk-nag is a development tool and the construct must not load it at run time.
 */
export function flattenReference(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const entries = Object.entries(value);
    if (entries.length === 1) {
      const [[key, argument]] = entries;
      if (key === 'Ref') return `<${flattenReference(argument)}>`;
      if (key === 'Fn::Sub' && typeof argument === 'string') return flattenReference(argument);
      if (key === 'Fn::ImportValue') return flattenReference(argument);
      if (key === 'Fn::GetAtt' && Array.isArray(argument)) {
        return `<${flattenReference(argument[0])}.${flattenReference(argument[1])}>`;
      }
      if (key === 'Fn::Join' && Array.isArray(argument) && Array.isArray(argument[1])) {
        return (argument[1] as unknown[]).map(flattenReference).join(String(argument[0]));
      }
    }
  }
  return JSON.stringify(value);
}
