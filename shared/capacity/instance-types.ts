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

// Families with the same limits per size share one map.
/** m5, m5a, m5ad, r5a, r5ad, r5d */
const LIKE_M5 = {
  large: 10,
  xlarge: 20,
  '2xlarge': 40,
  '4xlarge': 60,
  '8xlarge': 60,
  '12xlarge': 60,
  '16xlarge': 120,
  '24xlarge': 120,
};
/** m6a, c6a, r6a */
const LIKE_M6A = {
  large: 10,
  xlarge: 20,
  '2xlarge': 40,
  '4xlarge': 60,
  '8xlarge': 90,
  '12xlarge': 120,
  '16xlarge': 120,
  '24xlarge': 120,
  '32xlarge': 120,
  '48xlarge': 120,
  metal: 120,
};
/** m6g, m6gd, m7g, c6g, c6gd, c7g, r6g, r6gd, r7g */
const LIKE_M6G = {
  medium: 4,
  large: 10,
  xlarge: 20,
  '2xlarge': 40,
  '4xlarge': 60,
  '8xlarge': 60,
  '12xlarge': 60,
  '16xlarge': 120,
  metal: 120,
};
/** m6i, m6id, m6idn, m6in, c6i, c6id, c6in, r6i, r6idn, r6in, r6id */
const LIKE_M6I = {
  large: 10,
  xlarge: 20,
  '2xlarge': 40,
  '4xlarge': 60,
  '8xlarge': 90,
  '12xlarge': 120,
  '16xlarge': 120,
  '24xlarge': 120,
  '32xlarge': 120,
  metal: 120,
};
/** mac2, u-18tb1, u-24tb1 */
const LIKE_MAC2 = { metal: 12 };
/** c5, c5d */
const LIKE_C5 = {
  large: 10,
  xlarge: 20,
  '2xlarge': 40,
  '4xlarge': 60,
  '9xlarge': 60,
  '12xlarge': 60,
  '18xlarge': 120,
  '24xlarge': 120,
};
/** c5a, c5ad, r5 */
const LIKE_C5A = {
  large: 10,
  xlarge: 20,
  '2xlarge': 40,
  '4xlarge': 60,
  '12xlarge': 60,
  '16xlarge': 120,
  '24xlarge': 120,
};
/** dl1, p4d, p4de */
const LIKE_DL1 = { '24xlarge': 120 };

/**
 * awsvpc tasks per trunked instance (account setting awsvpcTrunking; the instance carries
 * ecs.awsvpc-trunk-id): the "task limit with ENI trunking" column of the ECS developer guide,
 * "Supported Amazon EC2 instance types" (docs.aws.amazon.com/AmazonECS/latest/developerguide/
 * eni-trunking-supported-instance-types.html; source awsdocs/amazon-ecs-developer-guide
 * doc_source/container-instance-eni.md at a35b767, April 2023). Left out: the types and families the
 * same page says are not supported (m5n, m5zn, r5b, r5dn, u-6tb1, c5a.8xlarge, ...), and i4i, whose
 * rows contradict themselves (i4i.large -2). A type missing here keeps its ENIs without trunking.
 */
const TRUNK_TASK_ENIS: Record<string, Record<string, number>> = {
  a1: { medium: 10, large: 10, xlarge: 20, '2xlarge': 40, '4xlarge': 60 },
  m5: LIKE_M5,
  m5a: LIKE_M5,
  m5ad: LIKE_M5,
  m5d: {
    large: 10,
    xlarge: 20,
    '2xlarge': 40,
    '4xlarge': 60,
    '8xlarge': 60,
    '12xlarge': 60,
    '16xlarge': 120,
    '24xlarge': 120,
    metal: 120,
  },
  m6a: LIKE_M6A,
  m6g: LIKE_M6G,
  m6gd: LIKE_M6G,
  m6i: LIKE_M6I,
  m6id: LIKE_M6I,
  m6idn: LIKE_M6I,
  m6in: LIKE_M6I,
  m7g: LIKE_M6G,
  mac2: LIKE_MAC2,
  c5: LIKE_C5,
  c5a: LIKE_C5A,
  c5ad: LIKE_C5A,
  c5d: LIKE_C5,
  c6a: LIKE_M6A,
  c6g: LIKE_M6G,
  c6gd: LIKE_M6G,
  c6gn: {
    medium: 4,
    large: 10,
    xlarge: 20,
    '2xlarge': 40,
    '4xlarge': 60,
    '8xlarge': 60,
    '12xlarge': 60,
    '16xlarge': 120,
  },
  c6i: LIKE_M6I,
  c6id: LIKE_M6I,
  c6in: LIKE_M6I,
  c7g: LIKE_M6G,
  hpc6a: { '48xlarge': 120 },
  hpc6id: { '32xlarge': 120 },
  r5: LIKE_C5A,
  r5a: LIKE_M5,
  r5ad: LIKE_M5,
  r5d: LIKE_M5,
  r6a: LIKE_M6A,
  r6g: LIKE_M6G,
  r6gd: LIKE_M6G,
  r6i: LIKE_M6I,
  r6idn: LIKE_M6I,
  r6in: LIKE_M6I,
  r6id: LIKE_M6I,
  r7g: LIKE_M6G,
  'u-3tb1': { '56xlarge': 12 },
  'u-18tb1': LIKE_MAC2,
  'u-24tb1': LIKE_MAC2,
  x2gd: {
    medium: 10,
    large: 10,
    xlarge: 20,
    '2xlarge': 40,
    '4xlarge': 60,
    '8xlarge': 60,
    '12xlarge': 60,
    '16xlarge': 120,
    metal: 120,
  },
  x2idn: { '16xlarge': 120, '24xlarge': 120, '32xlarge': 120, metal: 120 },
  x2iedn: {
    xlarge: 13,
    '2xlarge': 29,
    '4xlarge': 60,
    '8xlarge': 120,
    '16xlarge': 120,
    '24xlarge': 120,
    '32xlarge': 120,
    metal: 120,
  },
  x2iezn: { '2xlarge': 64, '4xlarge': 120, '6xlarge': 120, '8xlarge': 120, '12xlarge': 120, metal: 120 },
  im4gn: { large: 10, xlarge: 20, '2xlarge': 40, '4xlarge': 60, '8xlarge': 60, '16xlarge': 120 },
  is4gen: { medium: 4, large: 10, xlarge: 20, '2xlarge': 40, '4xlarge': 60, '8xlarge': 60 },
  dl1: LIKE_DL1,
  g4ad: { xlarge: 12, '2xlarge': 12, '4xlarge': 12, '8xlarge': 12, '16xlarge': 12 },
  g5: {
    xlarge: 6,
    '2xlarge': 19,
    '4xlarge': 40,
    '8xlarge': 90,
    '12xlarge': 120,
    '16xlarge': 120,
    '24xlarge': 120,
    '48xlarge': 120,
  },
  g5g: { xlarge: 20, '2xlarge': 40, '4xlarge': 60, '8xlarge': 60, '16xlarge': 120, metal: 120 },
  inf2: { xlarge: 20, '8xlarge': 90, '24xlarge': 120, '48xlarge': 120 },
  p3: { '2xlarge': 40, '8xlarge': 60, '16xlarge': 120 },
  p4d: LIKE_DL1,
  p4de: LIKE_DL1,
  trn1: { '2xlarge': 19, '32xlarge': 120 },
  trn1n: { '32xlarge': 242 },
  vt1: { '3xlarge': 40, '6xlarge': 60, '24xlarge': 120 },
};

/** How many awsvpc tasks a trunked instance of the type takes, or undefined when the table lacks it. */
export function trunkTaskEnis(type: string): number | undefined {
  const dot = type.lastIndexOf('.');
  if (dot <= 0) return undefined;
  return TRUNK_TASK_ENIS[type.slice(0, dot)]?.[type.slice(dot + 1)];
}
