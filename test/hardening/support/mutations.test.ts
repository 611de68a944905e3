import { describe, expect, it } from 'vitest';
import { applyMutations, type Mutation, namesDamage } from './mutations';

describe('namesDamage', () => {
  const event = { job: { command: ['node', 'report.js', '--period', 'yesterday'] } };
  // Seed 1337's counterexample: an element replaced, then an earlier one of the same array dropped.
  const replacedThenShifted: Mutation[] = [
    { kind: 'replace', path: ['job', 'command', 2], value: ['x'] },
    { kind: 'drop', path: ['job', 'command', 0] },
  ];

  it('follows an element to its index after an earlier element of its array was dropped', () => {
    expect(applyMutations(event, replacedThenShifted)).toEqual({
      job: { command: ['report.js', ['x'], 'yesterday'] },
    });
    // The damaged event reports the replaced element where it now is.
    expect(namesDamage('job.command.1', replacedThenShifted)).toBe(true);
    expect(namesDamage('job.command.2', [{ kind: 'replace', path: ['job', 'command', 2], value: 1 }])).toBe(
      true,
    );
  });

  it('does not move elements before the dropped one, nor paths in other arrays', () => {
    const mutations: Mutation[] = [
      { kind: 'replace', path: ['job', 'command', 0], value: 1 },
      { kind: 'drop', path: ['job', 'command', 2] },
    ];
    expect(namesDamage('job.command.0', mutations)).toBe(true);
    expect(
      namesDamage('job.other.1', [{ kind: 'replace', path: ['job', 'other', 2], value: 1 }, ...mutations]),
    ).toBe(false);
  });

  it('a drop before the element was touched does not move it (its path is already the new one)', () => {
    const mutations: Mutation[] = [
      { kind: 'drop', path: ['job', 'command', 0] },
      { kind: 'replace', path: ['job', 'command', 2], value: 1 },
    ];
    expect(namesDamage('job.command.2', mutations)).toBe(true);
    expect(namesDamage('job.command.1', mutations)).toBe(false);
  });
});
