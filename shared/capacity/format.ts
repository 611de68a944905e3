/** A plan as a person reads it: what `npm run plan` prints. */
import type { CapacityPlan } from './planner';

/** Columns padded to their widest cell; numbers right-aligned. */
function table(rows: string[][]): string[] {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  const numeric = (rows[0] ?? []).map((_, column) =>
    rows.slice(1).every((row) => /^\d+$/.test(row[column] ?? '')),
  );
  return rows.map((row) =>
    row
      .map((cell, column) =>
        numeric[column] && column > 0 ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0),
      )
      .join('  ')
      .trimEnd(),
  );
}

const list = (values: string[]) => (values.length === 0 ? '-' : values.join(', '));

export function formatPlan(plan: CapacityPlan): string {
  const lines: string[] = [];
  lines.push(`Plan for ${plan.cluster} / ${plan.capacityProvider} (group ${plan.group}) at ${plan.at}`, '');

  if (plan.placements.length === 0) lines.push('Demand: none');
  else {
    lines.push(
      ...table([
        [
          'demand',
          'tasks',
          'CPU',
          'MiB',
          'GPU',
          'ports',
          'constraints',
          'registered',
          'booting',
          'new',
          'unplaced',
        ],
        ...plan.placements.map((placement) => [
          placement.sources.join(','),
          String(placement.count),
          String(placement.shape.cpu),
          String(placement.shape.memoryMiB),
          String(placement.shape.gpus),
          list([
            ...placement.shape.hostPorts.tcp.map(String),
            ...placement.shape.hostPorts.udp.map((port) => `${port}/udp`),
          ]),
          list([
            ...(placement.distinctInstance ? ['distinctInstance'] : []),
            ...(placement.memberOf ? [`memberOf(${placement.memberOf})`] : []),
            ...(placement.shape.enis > 0 ? ['awsvpc'] : []),
          ]),
          String(placement.onRegistered),
          String(placement.onLaunching),
          String(placement.onNew),
          String(placement.unplaced),
        ]),
      ]),
    );
  }
  lines.push('');
  const { instances } = plan;
  const zones = Object.entries(plan.newInstancesByZone).map(([zone, count]) => `${zone} ${count}`);
  const gapPercent = plan.lowerBound > 0 ? ` (${((plan.gap / plan.lowerBound) * 100).toFixed(1)} %)` : '';
  const utilization = (reserved: number, registered: number) =>
    registered > 0 ? `${reserved}/${registered} (${((reserved / registered) * 100).toFixed(0)} %)` : '-';
  lines.push(
    ...table([
      [
        'instances',
        `usable ${instances.usable}, booting ${instances.launching}, requested ${instances.requested}, never registered ${instances.stuck}, unusable ${instances.unusable}`,
      ],
      ['reserved CPU', utilization(plan.utilization.cpu.reserved, plan.utilization.cpu.registered)],
      [
        'reserved memory',
        utilization(plan.utilization.memoryMiB.reserved, plan.utilization.memoryMiB.registered),
      ],
      ['new instances needed', `${plan.newInstances}${zones.length > 0 ? ` (${zones.join(', ')})` : ''}`],
      ['lower bound', `${plan.lowerBound} (${plan.lowerBoundBy})`],
      ['gap to the bound', `${plan.gap}${gapPercent}`],
      [
        'desired capacity',
        `${plan.currentDesired} -> ${plan.desiredCapacity}${plan.scaleOut > 0 ? ` (scale-out ${plan.scaleOut}${plan.limitedBy ? `, limited by ${plan.limitedBy}` : ''})` : ''}`,
      ],
      ['remove', list(plan.removals.map((removal) => `${removal.instanceId} (${removal.reason})`))],
      ...(plan.suspended.processes.length > 0
        ? [
            [
              'suspended',
              `${plan.suspended.processes.join(', ')} (held: scale-out ${plan.suspended.scaleOut}, removals ${plan.suspended.removals.length})`,
            ],
          ]
        : []),
      ['protect', list(plan.protect)],
      ['unprotect', list(plan.unprotect)],
    ]).map((line) =>
      line.replace(/^(\S+(?: \S+)*)( +)/, (_, label: string, pad: string) => `${label}:${pad}`),
    ),
  );
  if (plan.unplaceable.length > 0) {
    lines.push('', 'Cannot be placed:');
    for (const item of plan.unplaceable)
      lines.push(`  ${item.count} x ${item.sources.join(',')}: ${item.reason}`);
  }
  lines.push('', 'Why:');
  for (const reason of plan.reasons) lines.push(`  - ${reason}`);
  return lines.join('\n');
}
