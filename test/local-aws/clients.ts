/** SDK clients aimed at a local endpoint, for tests of the endpoint itself. */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { SNSClient } from '@aws-sdk/client-sns';

export function localClients(endpoint: string, options: { maxAttempts?: number } = {}) {
  const config = {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: options.maxAttempts ?? 1,
  };
  return {
    ecs: new ECSClient(config),
    autoScaling: new AutoScalingClient(config),
    sns: new SNSClient(config),
    dynamodb: new DynamoDBClient(config),
  };
}
