/**
 * A pump: one task inside a run that serves requests made by plain code outside it, one at a
 * time, in order. It is how a Promise-world consumer (an async iterator, a web stream) drives a
 * Duet channel or stream: each request is handled only when asked for, so back-pressure holds.
 */
import { CancelScope, ParkingLot, isCancelled, type Nursery } from '@duet/kernel';

interface Request<Q, R> {
  request: Q;
  resolve(result: R): void;
  reject(error: unknown): void;
}

/** @internal What a pump does with one request: its result, and whether the pump should stop after it. */
export type PumpStep<R> = { result: R; last?: boolean };

/** @internal Requests from outside the run, served by a task in `nursery`. */
export class Pump<Q, R> {
  private readonly pending: Array<Request<Q, R>> = [];
  private readonly demand: ParkingLot;
  // Level-triggered, so stopping ends the pump quietly instead of failing the nursery.
  private readonly scope = new CancelScope();
  private stopped = false;
  // The request the task is handling: its answer may already be taken from the source, so only
  // the task settles it.
  private inFlight: Request<Q, R> | undefined;

  constructor(
    nursery: Nursery,
    name: string,
    handle: (request: Q) => Promise<PumpStep<R>>,
    /** Settles a request made after the pump stopped (or left pending when it stopped). */
    private readonly afterStop: (request: Request<Q, R>) => void,
  ) {
    this.demand = new ParkingLot(`${name} demand`);
    nursery.spawn(
      async () => {
        try {
          await this.scope.run(async () => {
            for (;;) {
              while (this.pending.length === 0) await this.demand.park();
              const head = this.pending.shift()!;
              this.inFlight = head;
              let step: PumpStep<R>;
              try {
                step = await handle(head.request);
              } catch (err) {
                // A cancellation ends the pump (the finally settles what is left); a failure is the answer.
                if (isCancelled(err)) throw err;
                this.inFlight = undefined;
                head.reject(err);
                return;
              }
              this.inFlight = undefined;
              head.resolve(step.result);
              if (step.last === true) return;
            }
          });
        } finally {
          const left = this.inFlight;
          this.inFlight = undefined;
          if (left !== undefined) this.afterStop(left);
          this.stop();
        }
      },
      [],
      name,
    );
  }

  /** Asks the pump to handle `request`; callable from any code, inside the run or not. */
  request(request: Q): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const entry = { request, resolve, reject };
      if (this.stopped) {
        this.afterStop(entry);
        return;
      }
      this.pending.push(entry);
      this.demand.unparkAll();
    });
  }

  /**
   * Ends the pump: its task exits at its next checkpoint, and requests left are settled by
   * `afterStop`. A request being handled is settled by the task: with its answer if the source
   * already gave it (nothing taken is lost), else by `afterStop`.
   */
  stop(): void {
    if (!this.stopped) {
      this.stopped = true;
      this.scope.cancel('the consumer stopped');
    }
    for (const entry of this.pending.splice(0)) this.afterStop(entry);
  }
}
