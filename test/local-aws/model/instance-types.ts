/**
 * What the ECS agent registers for common instance types: CPU units (1024 per vCPU), memory left after
 * the OS and agent (ECS registers less than the type's nominal memory), GPUs and ENIs usable by awsvpc
 * tasks without trunking (the type's ENI limit minus the primary interface).
 */
export interface InstanceTypeSpec {
  cpu: number;
  memory: number;
  gpus: number;
  enis: number;
}

export const INSTANCE_TYPES: Record<string, InstanceTypeSpec> = {
  't3.micro': { cpu: 2048, memory: 944, gpus: 0, enis: 1 },
  't3.medium': { cpu: 2048, memory: 3904, gpus: 0, enis: 2 },
  't3.large': { cpu: 2048, memory: 7936, gpus: 0, enis: 2 },
  'm5.large': { cpu: 2048, memory: 7680, gpus: 0, enis: 2 },
  'm5.xlarge': { cpu: 4096, memory: 15576, gpus: 0, enis: 3 },
  'm5.2xlarge': { cpu: 8192, memory: 31591, gpus: 0, enis: 3 },
  'm5.4xlarge': { cpu: 16384, memory: 63371, gpus: 0, enis: 7 },
  'c5.large': { cpu: 2048, memory: 3703, gpus: 0, enis: 2 },
  'c5.xlarge': { cpu: 4096, memory: 7468, gpus: 0, enis: 3 },
  'r5.large': { cpu: 2048, memory: 15665, gpus: 0, enis: 2 },
  'g4dn.xlarge': { cpu: 4096, memory: 15560, gpus: 1, enis: 2 },
};

/** Ports the ECS agent reserves on every instance (SSH, Docker, the agent's own). */
export const RESERVED_PORTS = [22, 2375, 2376, 51678, 51679];

export function instanceTypeSpec(type: string): InstanceTypeSpec {
  const spec = INSTANCE_TYPES[type];
  if (!spec) {
    throw new Error(`Unknown instance type ${type}; known: ${Object.keys(INSTANCE_TYPES).join(', ')}`);
  }
  return spec;
}
