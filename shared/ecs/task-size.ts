/**
 * Task size rules: the units ECS uses for CPU and memory, the strings a task definition accepts, the
 * Fargate size table and the EC2 bounds.
 */

/** 1 vCPU = 1024 CPU units. */
export const CPU_UNITS_PER_VCPU = 1024;
/** Task definitions use binary gigabytes: "1 GB" registers as 1024 MiB. */
export const MIB_PER_GB = 1024;

/** EC2 and EXTERNAL task-level cpu bounds (0.125 to 192 vCPU; the old ceiling was 10240 units). */
export const EC2_TASK_CPU_MIN_UNITS = 128;
export const EC2_TASK_CPU_MAX_UNITS = 196_608;

export type LaunchType = 'FARGATE' | 'EC2' | 'EXTERNAL';

export const cpuUnitsToVcpu = (units: number): number => units / CPU_UNITS_PER_VCPU;
export const vcpuToCpuUnits = (vcpu: number): number => vcpu * CPU_UNITS_PER_VCPU;
export const mibToGb = (mib: number): number => mib / MIB_PER_GB;
export const gbToMib = (gb: number): number => gb * MIB_PER_GB;

/** A cpu or memory value a task definition cannot accept. */
export class TaskSizeParseError extends RangeError {
  override readonly name = 'TaskSizeParseError';
}

const NUMBER = String.raw`(\d+(?:\.\d+)?|\.\d+)`;
const CPU_PATTERN = new RegExp(`^${NUMBER}\\s*(vcpu)?$`, 'i');
const MEMORY_PATTERN = new RegExp(`^${NUMBER}\\s*(gb)?$`, 'i');

/**
 * CPU units from a task definition value: `1024`, `"1024"`, `"1 vCPU"`, `"0.25 vcpu"`.
 * Throws TaskSizeParseError for anything ECS would not register.
 */
export function parseCpu(value: string | number): number {
  const match = CPU_PATTERN.exec(String(value).trim());
  if (!match) {
    throw new TaskSizeParseError(
      `cpu ${JSON.stringify(value)} is not a CPU size: use CPU units ("1024") or vCPU ("1 vCPU", "0.25 vCPU")`,
    );
  }
  const amount = Number(match[1]);
  const units = match[2] ? vcpuToCpuUnits(amount) : amount;
  if (!Number.isInteger(units) || units <= 0) {
    throw new TaskSizeParseError(
      `cpu ${JSON.stringify(value)} is ${units} CPU units; it must be a whole number of units above 0`,
    );
  }
  return units;
}

/**
 * Memory in MiB from a task definition value: `512`, `"512"`, `"2 GB"`, `"2GB"`, `"0.5 GB"`.
 * Throws TaskSizeParseError for anything ECS would not register.
 */
export function parseMemory(value: string | number): number {
  const match = MEMORY_PATTERN.exec(String(value).trim());
  if (!match) {
    throw new TaskSizeParseError(
      `memory ${JSON.stringify(value)} is not a memory size: use MiB ("2048") or GB ("2 GB", "2GB")`,
    );
  }
  const amount = Number(match[1]);
  const mib = match[2] ? gbToMib(amount) : amount;
  if (!Number.isInteger(mib) || mib <= 0) {
    throw new TaskSizeParseError(
      `memory ${JSON.stringify(value)} is ${mib} MiB; it must be a whole number of MiB above 0`,
    );
  }
  return mib;
}

/** "1 vCPU", "0.25 vCPU": a form parseCpu reads back to the same units. */
export const formatCpu = (units: number): string => `${cpuUnitsToVcpu(units)} vCPU`;
/** "2 GB", "0.5 GB": a form parseMemory reads back to the same MiB. */
export const formatMemory = (mib: number): string => `${mibToGb(mib)} GB`;
/** "1024 CPU units (1 vCPU)", for messages. */
export const describeCpu = (units: number): string => `${units} CPU units (${formatCpu(units)})`;
/** "2048 MiB (2 GB)", for messages. */
export const describeMemory = (mib: number): string => `${mib} MiB (${formatMemory(mib)})`;

/** One row of the Fargate task size table. */
export interface FargateSize {
  cpuUnits: number;
  /** Valid memory values in MiB, ascending. */
  memoryMiB: readonly number[];
  /** Human description of the memory values, e.g. "2048–8192 MiB (2–8 GB)". */
  memoryText: string;
  /** Minimum Fargate Linux platform version, when the size needs one. */
  minPlatformVersion?: string;
  /** Windows containers on Fargate accept only some sizes. */
  windows: boolean;
}

function steps(fromGb: number, toGb: number, stepGb: number): number[] {
  const values: number[] = [];
  for (let gb = fromGb; gb <= toGb; gb += stepGb) values.push(gbToMib(gb));
  return values;
}

function row(
  cpuUnits: number,
  memoryMiB: number[],
  options: { stepGb?: number; minPlatformVersion?: string; windows: boolean },
): FargateSize {
  const first = memoryMiB[0] ?? 0;
  const last = memoryMiB[memoryMiB.length - 1] ?? 0;
  let memoryText: string;
  if (options.stepGb === undefined) {
    memoryText = `${listInWords(memoryMiB.map(String))} MiB (${listInWords(memoryMiB.map((mib) => String(mibToGb(mib))))} GB)`;
  } else {
    memoryText = `${first}–${last} MiB (${mibToGb(first)}–${mibToGb(last)} GB)`;
    if (options.stepGb !== 1) memoryText += ` in ${options.stepGb} GB steps`;
  }
  return {
    cpuUnits,
    memoryMiB,
    memoryText,
    windows: options.windows,
    ...(options.minPlatformVersion ? { minPlatformVersion: options.minPlatformVersion } : {}),
  };
}

/** The Fargate CPU/memory combinations, by CPU units. */
export const FARGATE_SIZES: readonly FargateSize[] = [
  row(256, [512, 1024, 2048], { windows: false }),
  row(512, steps(1, 4, 1), { stepGb: 1, windows: false }),
  row(1024, steps(2, 8, 1), { stepGb: 1, windows: true }),
  row(2048, steps(4, 16, 1), { stepGb: 1, windows: true }),
  row(4096, steps(8, 30, 1), { stepGb: 1, windows: true }),
  row(8192, steps(16, 60, 4), { stepGb: 4, minPlatformVersion: '1.4.0', windows: false }),
  row(16384, steps(32, 120, 8), { stepGb: 8, minPlatformVersion: '1.4.0', windows: false }),
];

/** Every valid Fargate pair, in table order. */
export function fargateSizePairs(): { cpuUnits: number; memoryMiB: number }[] {
  return FARGATE_SIZES.flatMap((size) =>
    size.memoryMiB.map((memoryMiB) => ({ cpuUnits: size.cpuUnits, memoryMiB })),
  );
}

/** A container's share of the task, as far as size validation needs it. */
export interface ContainerSizeLike {
  name?: string | undefined;
  memory?: number | undefined;
  memoryReservation?: number | undefined;
}

export interface TaskSizeInput {
  cpu?: string | number | undefined;
  memory?: string | number | undefined;
  /** When given, checked too: on EC2 without task-level memory each container needs its own. */
  containerDefinitions?: readonly ContainerSizeLike[] | undefined;
}

export interface TaskSizeOptions {
  /** Fargate platform version ("LATEST" or "1.4.0", "1.3.0"...); 8 and 16 vCPU need 1.4.0. */
  platformVersion?: string | undefined;
  /** "LINUX" (default) or a Windows family such as "WINDOWS_SERVER_2022_CORE". */
  operatingSystemFamily?: string | undefined;
}

export type TaskSizeResult =
  | { ok: true; cpuUnits: number | undefined; memoryMiB: number | undefined }
  | { ok: false; reason: string; validAlternatives: string[] };

const invalid = (reason: string, validAlternatives: string[] = []): TaskSizeResult => ({
  ok: false,
  reason,
  validAlternatives,
});

/**
 * Whether ECS accepts this task size for the launch type, in CPU units and MiB. When it does not,
 * says why in words and names the sizes that would be accepted instead.
 */
export function validateTaskSize(
  input: TaskSizeInput,
  launchType: LaunchType,
  options: TaskSizeOptions = {},
): TaskSizeResult {
  let cpuUnits: number | undefined;
  let memoryMiB: number | undefined;
  try {
    cpuUnits = isSet(input.cpu) ? parseCpu(input.cpu) : undefined;
    memoryMiB = isSet(input.memory) ? parseMemory(input.memory) : undefined;
  } catch (error) {
    if (error instanceof TaskSizeParseError) return invalid(error.message);
    throw error;
  }
  const containerProblem = checkContainers(input.containerDefinitions, memoryMiB, launchType);
  if (containerProblem) return invalid(containerProblem);
  return launchType === 'FARGATE'
    ? validateFargate(cpuUnits, memoryMiB, options)
    : validateEc2(cpuUnits, memoryMiB, launchType);
}

const isSet = (value: string | number | undefined): value is string | number =>
  value !== undefined && String(value).trim() !== '';

function checkContainers(
  containers: readonly ContainerSizeLike[] | undefined,
  taskMemoryMiB: number | undefined,
  launchType: LaunchType,
): string | undefined {
  for (const [index, container] of (containers ?? []).entries()) {
    const name = container.name ? `container "${container.name}"` : `container ${index}`;
    const { memory, memoryReservation } = container;
    if (memory !== undefined && memoryReservation !== undefined && memory <= memoryReservation) {
      return `${name} has memory ${memory} MiB, which must be greater than its memoryReservation ${memoryReservation} MiB`;
    }
    if (
      launchType !== 'FARGATE' &&
      taskMemoryMiB === undefined &&
      memory === undefined &&
      memoryReservation === undefined
    ) {
      return `${name} sets neither memory nor memoryReservation; on ${launchType} a task without task-level memory needs one of them on every container`;
    }
    if (taskMemoryMiB !== undefined && memory !== undefined && memory > taskMemoryMiB) {
      return `${name} has memory ${memory} MiB, more than the task's ${describeMemory(taskMemoryMiB)}`;
    }
  }
  return undefined;
}

function validateEc2(
  cpuUnits: number | undefined,
  memoryMiB: number | undefined,
  launchType: LaunchType,
): TaskSizeResult {
  if (cpuUnits !== undefined && (cpuUnits < EC2_TASK_CPU_MIN_UNITS || cpuUnits > EC2_TASK_CPU_MAX_UNITS)) {
    return invalid(
      `${launchType} accepts task-level cpu from ${describeCpu(EC2_TASK_CPU_MIN_UNITS)} to ${describeCpu(EC2_TASK_CPU_MAX_UNITS)}; ${cpuUnits} CPU units is ${cpuUnits < EC2_TASK_CPU_MIN_UNITS ? 'too little' : 'too much'}. Valid: any whole number of CPU units in that range, or leave cpu unset.`,
      [String(Math.min(Math.max(cpuUnits, EC2_TASK_CPU_MIN_UNITS), EC2_TASK_CPU_MAX_UNITS))],
    );
  }
  return { ok: true, cpuUnits, memoryMiB };
}

function validateFargate(
  cpuUnits: number | undefined,
  memoryMiB: number | undefined,
  options: TaskSizeOptions,
): TaskSizeResult {
  const windows = /windows/i.test(options.operatingSystemFamily ?? '');
  const table = FARGATE_SIZES.filter((size) => !windows || size.windows);
  const platform = windows ? 'Fargate on Windows' : 'Fargate';
  const cpusFor = (mib: number) => table.filter((size) => size.memoryMiB.includes(mib));

  if (cpuUnits === undefined || memoryMiB === undefined) {
    const missing = [
      cpuUnits === undefined ? 'cpu' : undefined,
      memoryMiB === undefined ? 'memory' : undefined,
    ]
      .filter(Boolean)
      .join(' and ');
    const alternatives =
      cpuUnits !== undefined
        ? (table.find((size) => size.cpuUnits === cpuUnits)?.memoryMiB.map(formatMemory) ?? [])
        : memoryMiB !== undefined
          ? cpusFor(memoryMiB).map((size) => formatCpu(size.cpuUnits))
          : table.map((size) => formatCpu(size.cpuUnits));
    return invalid(
      `${platform} needs task-level cpu and memory; ${missing} ${missing.includes(' and ') ? 'are' : 'is'} not set.`,
      alternatives,
    );
  }

  const size = table.find((candidate) => candidate.cpuUnits === cpuUnits);
  if (!size) {
    const accepting = cpusFor(memoryMiB);
    const alternatives = (accepting.length > 0 ? accepting : table).map((candidate) =>
      formatCpu(candidate.cpuUnits),
    );
    const which =
      accepting.length > 0 ? ` CPU values that accept ${describeMemory(memoryMiB)}` : ' CPU values';
    const memoryToo =
      accepting.length > 0 ? '' : ` ${memoryMiB} MiB is not a ${platform} memory size either.`;
    return invalid(
      `${platform} has no task size with ${describeCpu(cpuUnits)}. Valid${which}: ${alternatives.join(', ')}.${memoryToo}`,
      alternatives,
    );
  }

  if (!size.memoryMiB.includes(memoryMiB)) {
    const low = size.memoryMiB[0] ?? 0;
    const high = size.memoryMiB[size.memoryMiB.length - 1] ?? 0;
    const verdict = memoryMiB < low ? 'too little' : memoryMiB > high ? 'too much' : 'not one of the steps';
    const alternatives = size.memoryMiB.map(formatMemory);
    const otherCpus = cpusFor(memoryMiB).map((candidate) => formatCpu(candidate.cpuUnits));
    const elsewhere = otherCpus.length > 0 ? ` ${memoryMiB} MiB needs ${listInWords(otherCpus, 'or')}.` : '';
    return invalid(
      `${platform} accepts ${size.memoryText} with ${describeCpu(cpuUnits)}; ${memoryMiB} MiB is ${verdict}. Valid: ${alternatives.join(', ')}.${elsewhere}`,
      alternatives,
    );
  }

  if (size.minPlatformVersion && !platformAtLeast(options.platformVersion, size.minPlatformVersion)) {
    const smaller = table
      .filter((candidate) => !candidate.minPlatformVersion)
      .map((candidate) => formatCpu(candidate.cpuUnits));
    return invalid(
      `${describeCpu(cpuUnits)} on Fargate needs platform version ${size.minPlatformVersion} or later; ${options.platformVersion} is older. Use platform version LATEST or ${size.minPlatformVersion}, or one of: ${smaller.join(', ')}.`,
      [`platform ${size.minPlatformVersion}`, ...smaller],
    );
  }
  return { ok: true, cpuUnits, memoryMiB };
}

/** Unset and LATEST resolve to the newest Linux platform, which is past 1.4.0. */
function platformAtLeast(version: string | undefined, minimum: string): boolean {
  if (version === undefined || version.toUpperCase() === 'LATEST') return true;
  const parts = version.split('.').map(Number);
  const wanted = minimum.split('.').map(Number);
  for (let index = 0; index < Math.max(parts.length, wanted.length); index++) {
    const have = parts[index] ?? 0;
    const need = wanted[index] ?? 0;
    if (Number.isNaN(have)) return true;
    if (have !== need) return have > need;
  }
  return true;
}

function listInWords(items: readonly string[], conjunction = 'or'): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${conjunction} ${items[items.length - 1]}`;
}
