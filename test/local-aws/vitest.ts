/** vitest helpers for tests against the local endpoint. */
import { vi } from 'vitest';
import type { LocalAws } from './index';

/**
 * Fakes only `Date` and keeps it on the world's clock (every advance and reset moves it), so handlers'
 * `Date.now()` agrees with the simulated cluster. Timers stay real. Returns a function undoing it.
 */
export function useWorldClock(aws: Pick<LocalAws, 'world' | 'onClockChange'>): () => void {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(aws.world.now());
  const unsubscribe = aws.onClockChange((now) => vi.setSystemTime(now));
  return () => {
    unsubscribe();
    vi.useRealTimers();
  };
}

/** Sets the endpoint's environment (AWS_ENDPOINT_URL, region, fake credentials, sample names); returns a restore. */
export function useLocalAwsEnv(aws: Pick<LocalAws, 'env'>, extra: Record<string, string> = {}): () => void {
  const values = { ...aws.env(), ...extra };
  const previous = Object.fromEntries(Object.keys(values).map((key) => [key, process.env[key]]));
  Object.assign(process.env, values);
  return () => {
    for (const [key, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}
