/** What a task needs from an instance: ECS's reservation rules, kept independent of the code under test. */
import type { ContainerDefinition, Demand, TaskDefinitionRecord, TaskOverrides } from './types';

function parseCpu(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const vcpu = /^([\d.]+)\s*vcpu$/i.exec(value.trim());
  return vcpu ? Math.round(Number(vcpu[1]) * 1024) : Number(value);
}

function parseMemory(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const gb = /^([\d.]+)\s*gb$/i.exec(value.trim());
  return gb ? Math.round(Number(gb[1]) * 1024) : Number(value);
}

/** A container's effective cpu/memory after its override. */
export function effectiveContainer(container: ContainerDefinition, overrides: TaskOverrides) {
  const override = overrides.containerOverrides?.find((item) => item.name === container.name);
  return {
    cpu: override?.cpu ?? container.cpu ?? 0,
    memory: override?.memory ?? container.memory,
    memoryReservation: override?.memoryReservation ?? container.memoryReservation,
  };
}

export function taskDemand(definition: TaskDefinitionRecord, overrides: TaskOverrides = {}): Demand {
  const containers = definition.containerDefinitions.map((c) => effectiveContainer(c, overrides));
  const taskCpu = parseCpu(overrides.cpu ?? definition.cpu);
  const taskMemory = parseMemory(overrides.memory ?? definition.memory);
  const cpu = taskCpu ?? containers.reduce((sum, c) => sum + c.cpu, 0);
  const memory = taskMemory ?? containers.reduce((sum, c) => sum + (c.memoryReservation ?? c.memory ?? 0), 0);
  const ports: number[] = [];
  const portsUdp: number[] = [];
  if (definition.networkMode === 'bridge' || definition.networkMode === 'host') {
    for (const container of definition.containerDefinitions) {
      for (const mapping of container.portMappings ?? []) {
        const port = definition.networkMode === 'host' ? mapping.containerPort : mapping.hostPort;
        if (!port) continue; // hostPort 0 or absent: a dynamic port, not reserved up front.
        (mapping.protocol === 'udp' ? portsUdp : ports).push(port);
      }
    }
  }
  const gpus = definition.containerDefinitions
    .flatMap((c) => c.resourceRequirements ?? [])
    .filter((r) => r.type === 'GPU')
    .reduce((sum, r) => sum + Number(r.value), 0);
  return { cpu, memory, ports, portsUdp, gpus, enis: definition.networkMode === 'awsvpc' ? 1 : 0 };
}
