/** Future work of the world, run in time order by {@link World.advance}. */
export interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly label: string;
  cancelled: boolean;
  readonly run: () => void;
  cancel(): void;
}

/** A binary min-heap on (at, seq): equal times run in the order they were scheduled. */
export class Scheduler {
  private heap: Timer[] = [];
  private seq = 0;

  schedule(at: number, label: string, run: () => void): Timer {
    const timer: Timer = {
      at,
      seq: this.seq++,
      label,
      cancelled: false,
      run,
      cancel() {
        this.cancelled = true;
      },
    };
    this.heap.push(timer);
    this.up(this.heap.length - 1);
    return timer;
  }

  /** The next live timer due at or before `until`, removed from the queue. */
  takeDue(until: number): Timer | undefined {
    for (;;) {
      const top = this.heap[0];
      if (!top || top.at > until) return undefined;
      this.pop();
      if (!top.cancelled) return top;
    }
  }

  pending(): Timer[] {
    return this.heap.filter((timer) => !timer.cancelled).sort((a, b) => a.at - b.at || a.seq - b.seq);
  }

  private less(a: Timer, b: Timer) {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private pop() {
    const last = this.heap.pop() as Timer;
    if (this.heap.length === 0) return;
    this.heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < this.heap.length && this.less(this.heap[left] as Timer, this.heap[smallest] as Timer)) {
        smallest = left;
      }
      if (right < this.heap.length && this.less(this.heap[right] as Timer, this.heap[smallest] as Timer)) {
        smallest = right;
      }
      if (smallest === i) return;
      [this.heap[i], this.heap[smallest]] = [this.heap[smallest] as Timer, this.heap[i] as Timer];
      i = smallest;
    }
  }

  private up(index: number) {
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(this.heap[i] as Timer, this.heap[parent] as Timer)) return;
      [this.heap[i], this.heap[parent]] = [this.heap[parent] as Timer, this.heap[i] as Timer];
      i = parent;
    }
  }
}
