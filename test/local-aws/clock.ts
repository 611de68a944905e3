/**
 * Keeps `Date` in the process on the world's clock, so handlers that read `Date.now()` see simulated
 * time. Works without vitest (the demo, scripts); in vitest, `useWorldClock` from ./vitest does the same
 * with vitest's fake timers.
 */
import type { LocalAws } from './index';

/** Replaces the global Date with one whose "now" is the world's. Returns a function restoring it. */
export function followWorldClock(aws: Pick<LocalAws, 'world' | 'onClockChange'>): () => void {
  const RealDate = Date;
  const now = () => aws.world.now();
  class WorldDate extends RealDate {
    constructor(...args: [] | [string | number | Date] | [number, number, ...number[]]) {
      if (args.length === 0) super(now());
      else super(...(args as [string | number | Date]));
    }
    static override now(): number {
      return now();
    }
  }
  globalThis.Date = WorldDate as DateConstructor;
  return () => {
    globalThis.Date = RealDate;
  };
}
