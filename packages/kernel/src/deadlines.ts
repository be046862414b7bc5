/**
 * The deadline heap: one per run, holding every timed thing (scope deadlines, sleeps, timer
 * callbacks), so a run needs one host timer however many deadlines are pending.
 */

/** An entry of the heap. `heapIndex` is -1 while the entry is not in a heap. */
export interface TimedEntry {
  /** The time (on the run's clock) at which the entry expires. */
  when: number;
  heapIndex: number;
  /** Breaks ties so that entries with the same deadline fire in the order they were added. */
  seq: number;
  /** Called when the deadline has passed; the entry is already out of the heap. */
  expire(): void;
}

/**
 * A binary min-heap by (when, seq) that knows each entry's position: remove and update are O(log n).
 * `onEarlier` is told whenever a push or an update puts an entry at the top, so the owner can re-arm
 * its host timer at once, whatever the tasks are doing.
 */
export class DeadlineHeap {
  private readonly items: TimedEntry[] = [];
  private nextSeq = 0;

  constructor(private readonly onEarlier: (when: number) => void = () => {}) {}

  get size(): number {
    return this.items.length;
  }

  peek(): TimedEntry | undefined {
    return this.items[0];
  }

  push(entry: TimedEntry): void {
    entry.seq = this.nextSeq++;
    entry.heapIndex = this.items.length;
    this.items.push(entry);
    this.siftUp(entry.heapIndex);
    if (entry.heapIndex === 0) this.onEarlier(entry.when);
  }

  remove(entry: TimedEntry): void {
    const i = entry.heapIndex;
    if (i < 0) return;
    entry.heapIndex = -1;
    const last = this.items.pop()!;
    if (i === this.items.length) return;
    this.items[i] = last;
    last.heapIndex = i;
    this.siftDown(i);
    this.siftUp(last.heapIndex);
  }

  /** Changes the expiry time of an entry that is in the heap. */
  update(entry: TimedEntry, when: number): void {
    entry.when = when;
    this.siftDown(entry.heapIndex);
    this.siftUp(entry.heapIndex);
    if (entry.heapIndex === 0) this.onEarlier(when);
  }

  /** Removes and returns the earliest entry if its deadline is at or before `now`. */
  popExpired(now: number): TimedEntry | undefined {
    const top = this.items[0];
    if (top === undefined || top.when > now) return undefined;
    this.remove(top);
    return top;
  }

  private less(a: TimedEntry, b: TimedEntry): boolean {
    return a.when < b.when || (a.when === b.when && a.seq < b.seq);
  }

  private siftUp(i: number): void {
    const items = this.items;
    const entry = items[i]!;
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = items[parentIndex]!;
      if (!this.less(entry, parent)) break;
      items[i] = parent;
      parent.heapIndex = i;
      i = parentIndex;
    }
    items[i] = entry;
    entry.heapIndex = i;
  }

  private siftDown(i: number): void {
    const items = this.items;
    const n = items.length;
    const entry = items[i]!;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n && this.less(items[right]!, items[child]!)) child = right;
      const c = items[child]!;
      if (!this.less(c, entry)) break;
      items[i] = c;
      c.heapIndex = i;
      i = child;
    }
    items[i] = entry;
    entry.heapIndex = i;
  }
}
