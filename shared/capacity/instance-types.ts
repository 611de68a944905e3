/**
 * What a new instance of a type will register, when no instance of it is registered to learn from
 * (a group at zero). An estimate from the type's name: vCPUs by size, memory by family, ENIs by
 * size, minus what the OS and agent keep. Registered instances and the INSTANCE_TYPES setting win
 * over it; it errs on the small side so a plan never counts on room that will not be there.
 */
import type { InstanceTypeResources } from './snapshot';

const VCPUS: Record<string, number> = {
  nano: 2,
  micro: 2,
  small: 2,
  medium: 2,
  large: 2,
  xlarge: 4,
  '2xlarge': 8,
  '3xlarge': 12,
  '4xlarge': 16,
  '6xlarge': 24,
  '8xlarge': 32,
  '9xlarge': 36,
  '12xlarge': 48,
  '16xlarge': 64,
  '18xlarge': 72,
  '24xlarge': 96,
  '32xlarge': 128,
  '48xlarge': 192,
};

/** ENIs of nitro general-purpose sizes (the type's limit, primary included). */
const ENIS: Record<string, number> = {
  nano: 2,
  micro: 2,
  small: 3,
  medium: 3,
  large: 3,
  xlarge: 4,
  '2xlarge': 4,
  '3xlarge': 4,
  '4xlarge': 8,
  '6xlarge': 8,
  '8xlarge': 8,
  '9xlarge': 8,
  '12xlarge': 8,
  '16xlarge': 15,
  '18xlarge': 15,
  '24xlarge': 15,
  '32xlarge': 15,
  '48xlarge': 15,
};

/** GiB per vCPU by family letter. */
const MEMORY_PER_VCPU: Record<string, number> = { c: 2, m: 4, r: 8, x: 16, z: 8, g: 4, p: 7.6, i: 8, d: 8 };

/** Burstable t types: GiB by size. */
const BURSTABLE_MEMORY: Record<string, number> = {
  nano: 0.5,
  micro: 1,
  small: 2,
  medium: 4,
  large: 8,
  xlarge: 16,
  '2xlarge': 32,
};

/** GPUs of the GPU families ECS runs, by size. */
const GPUS: Record<string, Record<string, number>> = {
  g4dn: { xlarge: 1, '2xlarge': 1, '4xlarge': 1, '8xlarge': 1, '12xlarge': 4, '16xlarge': 1 },
  g5: {
    xlarge: 1,
    '2xlarge': 1,
    '4xlarge': 1,
    '8xlarge': 1,
    '12xlarge': 4,
    '16xlarge': 1,
    '24xlarge': 4,
    '48xlarge': 8,
  },
  g6: {
    xlarge: 1,
    '2xlarge': 1,
    '4xlarge': 1,
    '8xlarge': 1,
    '12xlarge': 4,
    '16xlarge': 1,
    '24xlarge': 4,
    '48xlarge': 8,
  },
  p3: { '2xlarge': 1, '8xlarge': 4, '16xlarge': 8 },
};

/** The estimate, or undefined for a name it cannot read (metal sizes, unusual families). */
export function estimateInstanceType(type: string): InstanceTypeResources | undefined {
  const match = /^([a-z]+)(\d+)([a-z-]*)\.([0-9a-z]+)$/.exec(type);
  if (!match) return undefined;
  const [, letters = '', generation = '', , size = ''] = match;
  const vcpus = VCPUS[size];
  if (vcpus === undefined) return undefined;
  const family = letters[0] ?? '';
  const physicalGiB = family === 't' ? BURSTABLE_MEMORY[size] : (MEMORY_PER_VCPU[family] ?? 0) * vcpus;
  if (!physicalGiB) return undefined;
  const physicalMiB = physicalGiB * 1024;
  // The OS, the agent and Docker keep some memory; ECS registers the rest.
  const memoryMiB = Math.floor(physicalMiB - Math.max(512, physicalMiB * 0.06));
  const enis = (ENIS[size] ?? 2) - 1;
  const gpus = GPUS[`${letters}${generation}`]?.[size] ?? 0;
  return { cpu: vcpus * 1024, memoryMiB, gpus, enis };
}
