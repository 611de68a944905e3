/**
 * ECS's request throttling as the local endpoint models it: one token bucket per group of operations
 * (test/support/ecs-api-buckets.ts), shared by every caller of the account, answering `ThrottlingException`
 * ("Rate exceeded") when a bucket is empty. Buckets refill with the time that passes for the caller:
 * real time (a handler's calls inside one pass) plus simulated time (the world's advances between
 * passes), so a test sees the throttling a real pass of that length would.
 */
import { type ApiBucket, ecsApiBucket } from '../../shared/ecs/api-buckets';

interface BucketState {
  tokens: number;
  at: number;
  taken: number;
  throttled: number;
}

export interface BucketCount {
  bucket: string;
  /** Calls the bucket let through. */
  taken: number;
  /** Calls answered ThrottlingException. */
  throttled: number;
}

export class EcsThrottling {
  private enabled = false;
  private readonly states = new Map<string, BucketState>();

  /**
   * @param clock milliseconds that have passed for the caller (real plus simulated), never decreasing
   * @param share the share of each bucket this account leaves to us (1: all of it); other tools of the
   *              account spend the rest
   */
  constructor(
    private readonly clock: () => number,
    private share = 1,
  ) {}

  /** Turns throttling on (every bucket full), optionally leaving us only a share of each bucket. */
  enable(options: { share?: number } = {}): void {
    this.enabled = true;
    this.share = options.share ?? this.share;
    this.states.clear();
  }

  disable(): void {
    this.enabled = false;
  }

  /** Takes a token for an ECS operation; false when the call must be answered ThrottlingException. */
  take(operation: string): boolean {
    const bucket = ecsApiBucket(operation);
    if (!this.enabled || !bucket) return true;
    const state = this.refill(bucket);
    if (state.tokens < 1) {
      state.throttled++;
      return false;
    }
    state.tokens -= 1;
    state.taken++;
    return true;
  }

  /** Calls taken and throttled per bucket since throttling was enabled. */
  counts(): BucketCount[] {
    return [...this.states.entries()].map(([bucket, state]) => ({
      bucket,
      taken: state.taken,
      throttled: state.throttled,
    }));
  }

  private refill(bucket: ApiBucket): BucketState {
    const now = this.clock();
    const capacity = bucket.burst * this.share;
    const state = this.states.get(bucket.name) ?? { tokens: capacity, at: now, taken: 0, throttled: 0 };
    const elapsedSeconds = Math.max(0, now - state.at) / 1000;
    state.tokens = Math.min(capacity, state.tokens + elapsedSeconds * bucket.sustained * this.share);
    state.at = now;
    this.states.set(bucket.name, state);
    return state;
  }
}
