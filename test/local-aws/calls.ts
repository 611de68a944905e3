/** Every request the endpoint received, for tests that count or inspect calls. */

export interface CallRecord {
  service: 'ecs' | 'autoscaling' | 'sns' | 'dynamodb' | 'events';
  operation: string;
  /** `service:Operation`, e.g. `ecs:DescribeTasks`. */
  name: string;
  /** The request as the service reads it: ECS/DynamoDB JSON, Query parameters as nested objects. */
  input: Record<string, unknown>;
  /** Simulated time of the call. */
  at: number;
  /** HTTP status answered. */
  status: number;
  /** Set when the answer was an error: the error code (injected or real). */
  error?: string;
  injected?: 'throttle' | 'server-error';
}

export class CallLog {
  private records: CallRecord[] = [];
  private listeners: ((record: CallRecord) => void)[] = [];

  /** Recorded as it arrives, before it is answered: listeners may change the world in between. */
  add(record: CallRecord): void {
    this.records.push(record);
    for (const listener of this.listeners) listener(record);
  }

  /**
   * Calls `listener` with each request as it arrives, before the endpoint answers it: a test makes
   * something happen between two calls of the function under test (a race). Returns a remover.
   */
  onCall(listener: (record: CallRecord) => void): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((candidate) => candidate !== listener);
    };
  }

  /** All calls, or those named `service:Operation` / `service:*`. */
  list(name?: string): CallRecord[] {
    if (!name) return [...this.records];
    if (name.endsWith(':*')) return this.records.filter((r) => r.name.startsWith(name.slice(0, -1)));
    return this.records.filter((r) => r.name === name);
  }

  count(name?: string): number {
    return this.list(name).length;
  }

  /** Counts per `service:Operation`. */
  summary(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const record of this.records) counts[record.name] = (counts[record.name] ?? 0) + 1;
    return counts;
  }

  clear(): void {
    this.records = [];
    this.listeners = [];
  }
}
