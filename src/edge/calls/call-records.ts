/**
 * Call records written behind to the store: a finished call hands its record over and goes; records are
 * inserted in batches (one transaction per batch) right after, so a burst of short calls costs one write per
 * event-loop turn rather than one per call. close() writes what is queued. A store failure is logged and the
 * batch retried once; records are never allowed to grow without bound in memory (oldest dropped, counted).
 */
import type { Logger } from 'pino';
import type { CallRecord } from '../../model/index.js';
import type { Store } from '../../store/store.js';

const MAX_QUEUED = 50_000;

export class CallRecorder {
  #queue: CallRecord[] = [];
  #writing: Promise<void> | undefined;
  #scheduled = false;
  dropped = 0;
  written = 0;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
  ) {}

  record(r: CallRecord): void {
    if (this.#queue.length >= MAX_QUEUED) {
      this.#queue.shift();
      this.dropped++;
    }
    this.#queue.push(r);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        void this.flush();
      });
    }
  }

  flush(): Promise<void> {
    if (this.#writing !== undefined) return this.#writing.then(() => (this.#queue.length > 0 ? this.flush() : undefined));
    if (this.#queue.length === 0) return Promise.resolve();
    const batch = this.#queue;
    this.#queue = [];
    this.#writing = this.#write(batch).finally(() => {
      this.#writing = undefined;
    });
    return this.#writing;
  }

  async #write(batch: CallRecord[]): Promise<void> {
    for (let attempt = 1; attempt <= 2; attempt++) {
      try {
        await this.store.insertCallRecords(batch);
        this.written += batch.length;
        return;
      } catch (err) {
        this.logger.warn({ err, records: batch.length, attempt }, 'could not store call records');
      }
    }
    this.dropped += batch.length;
  }
}
