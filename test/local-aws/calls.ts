/**
 * Every request the endpoint received, for tests that count or inspect calls. With RECORD_REQUESTS set
 * to a file path, each request is also appended to it as one JSON line (service, operation, input as
 * the service reads it, answer status and error) for scripts/check-requests.py, which checks them
 * against the services' published models.
 */
import { appendFileSync } from 'node:fs';

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
  injected?: 'throttle' | 'server-error' | 'error' | 'unprocessed';
  /**
   * The functions running when it arrived (folder names), one of which sent it, when the end-to-end tests
   * record requests (test/support/callers.ts): scripts/check-requests.py then checks the operation
   * against their roles rather than any role of the templates.
   */
  callers?: string[];
}

export class CallLog {
  private records: CallRecord[] = [];
  private listeners: ((record: CallRecord) => void)[] = [];

  constructor(private recordTo: string | undefined = process.env.RECORD_REQUESTS || undefined) {}

  /** Appends answered requests to this JSON-lines file from now on (undefined: stops). */
  recordInto(path: string | undefined): void {
    this.recordTo = path;
  }

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

  /** Appends a request, with its answer, to the RECORD_REQUESTS file (called once it is answered). */
  answered(record: CallRecord): void {
    if (!this.recordTo) return;
    const { service, operation, input, status, error, injected, callers } = record;
    appendFileSync(
      this.recordTo,
      `${JSON.stringify({ service, operation, input, status, ...(error ? { error } : {}), ...(injected ? { injected } : {}), ...(callers ? { callers } : {}) })}\n`,
    );
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
