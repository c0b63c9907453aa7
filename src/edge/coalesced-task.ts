/**
 * An async job that never runs twice at once: a call while it runs asks for exactly one more run after it,
 * however many calls arrive meanwhile, and every caller's promise settles when a run that started after its
 * call has finished. The edge's in-memory copies of store data (connections, dial plans) reload this way.
 */
export class CoalescedTask {
  #running: Promise<void> | undefined;
  #again = false;

  constructor(
    private readonly job: () => Promise<void>,
    /** Checked before each further run: a stopped owner runs no more. */
    private readonly stopped: () => boolean = () => false,
  ) {}

  get running(): boolean {
    return this.#running !== undefined;
  }

  run(): Promise<void> {
    if (this.stopped()) return Promise.resolve();
    if (this.#running !== undefined) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      try {
        do {
          this.#again = false;
          await this.job();
        } while (this.#again && !this.stopped());
      } finally {
        this.#running = undefined;
      }
    })();
    return this.#running;
  }

  /** Wait for the run in progress, if any, ignoring its outcome. */
  async settled(): Promise<void> {
    await this.#running?.catch(() => undefined);
  }
}
