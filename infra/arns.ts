import { ArnFormat, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { familyOf } from '../shared/schedule/job';

/** ARNs of the ECS and Auto Scaling resources the functions act on, in the stack's account and region. */
export class Arns {
  private readonly stack: Stack;

  constructor(scope: IConstruct) {
    this.stack = Stack.of(scope);
  }

  private ecs(resource: string, resourceName: string): string {
    return this.stack.formatArn({ service: 'ecs', resource, resourceName });
  }

  cluster(cluster: string): string {
    return this.ecs('cluster', cluster);
  }

  /** Every container instance registered to the cluster. */
  containerInstances(cluster: string): string {
    return this.ecs('container-instance', `${cluster}/*`);
  }

  /** Every task of the cluster (task ids are only known at run time). */
  tasks(cluster: string): string {
    return this.ecs('task', `${cluster}/*`);
  }

  /** Every service of the cluster. */
  services(cluster: string): string {
    return this.ecs('service', `${cluster}/*`);
  }

  capacityProvider(name: string): string {
    return this.ecs('capacity-provider', name);
  }

  /** Every revision of a task definition family (`family` or `family:3` → `family:*`). */
  taskDefinitionFamily(taskDefinition: string): string {
    const family = familyOf(taskDefinition);
    return this.stack.formatArn({
      service: 'ecs',
      resource: 'task-definition',
      resourceName: `${family}:*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  }

  /** The account's default event bus, where the functions announce to each other. */
  defaultEventBus(): string {
    return this.stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' });
  }

  /** An Auto Scaling group by name; the group id in its ARN is unknown, hence the `*`. */
  autoScalingGroup(name: string): string {
    return this.stack.formatArn({
      service: 'autoscaling',
      resource: 'autoScalingGroup',
      resourceName: `*:autoScalingGroupName/${name}`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }
}
