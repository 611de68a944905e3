// Every handler against damaged versions of its own sample events (fast-check): it never throws an
// unclassified error, refuses bad input with the field at fault named (in its answer and its log) and
// without changing anything, and reads an event with unknown extra fields as it reads the original.
// AWS is mocked with benign answers (support/benign-aws.ts) so a case costs well under a millisecond.
// Cases per handler: FUZZ_RUNS (default 10,000). The seed is fixed (printed); FUZZ_SEED picks another.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fastCheckSeed } from '../support/fast-check';
import { describeError, FuzzHarness, preview, type Run, violations } from './support/fuzz-harness';
import { eventTime, HANDLERS, type Handler, importHandler, samplesOf } from './support/handlers';
import {
  applyMutations,
  casesOf,
  extraFieldsOnly,
  type Mutation,
  oversizeSweepOf,
  sweepOf,
} from './support/mutations';

vi.mock('../../shared/runtime/time', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../shared/runtime/time')>();
  // Sleeping moves the faked clock: retries and polls cost no wall time, and spend the Lambda budget.
  return { ...original, sleep: async (ms: number) => void vi.setSystemTime(Date.now() + ms) };
});

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const SEED = fastCheckSeed();

// Thousands of handler runs per test: minutes, not the default 30 s, on a busy machine.
const SWEEP_TIMEOUT_MS = 600_000;

const harness = new FuzzHarness();

beforeAll(() => {
  console.log(`fuzz: seed ${SEED}, ${RUNS} cases per handler (FUZZ_SEED, FUZZ_RUNS to change)`);
  vi.useFakeTimers({ toFake: ['Date'] });
  harness.captureLogs();
});

afterAll(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe.each(HANDLERS.map((spec) => [spec.name, spec] as const))('%s', (_name, spec) => {
  const samples = samplesOf(spec.name);
  const times = samples.map((sample) => eventTime(sample.event)).filter((time) => time !== undefined);
  // Just after the earliest sample: every sample event is recent.
  const now = Math.min(...times) + 5_000;
  let handler: Handler;
  const baseline = new Map<string, Run>();
  const tally = { accepted: 0, rejected: 0, refused: 0, threw: 0, extraOnly: 0 };

  beforeAll(async () => {
    handler = await importHandler(spec);
    for (const sample of samples) {
      baseline.set(sample.file, await harness.run(spec, handler, sample.event, now));
    }
  });

  afterAll(() => {
    console.log(`${spec.name}: damaged events by answer`, tally);
  });

  it('answers every sample event without an unclassified error', () => {
    for (const [file, { answer }] of baseline) {
      expect(answer.kind === 'threw' ? describeError(answer.error) : answer.kind, file).not.toMatch(/Error/);
    }
  });

  /** The contract's violations for one damaged event, each with the case that shows it. */
  async function check(sample: (typeof samples)[number], mutations: Mutation[]): Promise<string[]> {
    const event = applyMutations(sample.event, mutations);
    const outcome = await harness.run(spec, handler, event, now);
    tally[outcome.answer.kind]++;
    if (extraFieldsOnly(mutations)) tally.extraOnly++;
    return violations(spec, mutations, outcome, baseline.get(sample.file) as Run).map(
      (found) => `${found}\n  in ${sample.file} with ${preview(mutations)}\n  event: ${preview(event)}`,
    );
  }

  it(
    'every field dropped, nulled and (strings) given each hostile suffix: the same contract',
    async () => {
      // All of it runs; one example of each kind of violation is reported.
      const kinds = new Map<string, string>();
      for (const { sample, mutations } of sweepOf(samples)) {
        for (const found of await check(sample, mutations)) {
          const kind = (found.split('\n')[0] ?? '').replace(/\d+/g, 'N');
          if (!kinds.has(kind)) kinds.set(kind, found);
        }
      }
      expect([...kinds.values()]).toEqual([]);
    },
    SWEEP_TIMEOUT_MS,
  );

  it(
    'every string field past each AWS length limit: refused at parse time or cut before any call',
    async () => {
      const kinds = new Map<string, string>();
      for (const { sample, mutations } of oversizeSweepOf(samples)) {
        for (const found of await check(sample, mutations)) {
          const kind = (found.split('\n')[0] ?? '').replace(/\d+/g, 'N');
          if (!kinds.has(kind)) kinds.set(kind, found);
        }
      }
      expect([...kinds.values()]).toEqual([]);
    },
    SWEEP_TIMEOUT_MS,
  );

  it(
    `damaged events (${RUNS}): classified errors only; refused by name, unchanged; extra fields accepted`,
    async () => {
      await fc.assert(
        fc.asyncProperty(casesOf(samples), async ({ sample, mutations }) => {
          expect(await check(sample, mutations)).toEqual([]);
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
      // Both sides were exercised: many events refused, many still accepted after damage.
      expect(tally.rejected + tally.refused).toBeGreaterThan(RUNS * 0.2);
      expect(tally.accepted).toBeGreaterThan(RUNS * 0.1);
    },
    SWEEP_TIMEOUT_MS,
  );
});
