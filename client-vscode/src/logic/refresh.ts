/**
 * When the "Agent Sessions" view lists again. An agent appends to its session every second or
 * so while it works: the file events are gathered into one listing per pause, one at a time,
 * and none while the view is hidden (it lists once when shown again). While a session is
 * still written, the view also lists every few seconds: an agent that quits changes no file,
 * yet its session stops being live. Pure logic: the timers are given.
 */

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const NODE_TIMERS: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface RefreshResult {
  /** Some session is still written by an agent. */
  readonly live: boolean;
}

export class Refresher {
  private visible = false;
  private stale = true;
  private running: Promise<void> | undefined;
  private again = false;
  private timer: unknown;
  private timerMs = 0;
  private disposed = false;

  constructor(
    private readonly list: () => Promise<RefreshResult>,
    private readonly timers: Timers = NODE_TIMERS,
    readonly pauseMs = 1000,
    readonly liveMs = 5000,
  ) {}

  /** Something changed (a file event): list after the pause, or when next shown. */
  poke(): void {
    if (this.disposed) return;
    this.stale = true;
    if (this.visible) this.schedule(this.pauseMs);
  }

  /** List now (the refresh button, after a fix, on first show); resolves when listed. */
  async now(): Promise<void> {
    if (this.disposed) return;
    this.cancel();
    if (this.running) {
      this.again = true;
      await this.running;
      return;
    }
    this.running = this.run();
    await this.running;
  }

  setVisible(visible: boolean): void {
    this.visible = visible;
    if (!visible) this.cancel();
    else if (this.stale) void this.now();
  }

  get pending(): boolean {
    return this.timer !== undefined;
  }

  dispose(): void {
    this.disposed = true;
    this.cancel();
  }

  /** A listing in `ms`, unless one is already due as soon (it will see the change). */
  private schedule(ms: number): void {
    if (this.disposed || (this.timer !== undefined && this.timerMs <= ms)) return;
    this.cancel(); // a live recheck gives way to a change's shorter pause
    this.timerMs = ms;
    this.timer = this.timers.set(() => {
      this.timer = undefined;
      void this.now();
    }, ms);
  }

  private cancel(): void {
    if (this.timer === undefined) return;
    this.timers.clear(this.timer);
    this.timer = undefined;
  }

  private async run(): Promise<void> {
    let live = false;
    try {
      do {
        this.again = false;
        this.stale = false;
        live = (await this.list()).live;
      } while (this.again && !this.disposed);
    } catch {
      live = false; // the list function reports its own errors
    } finally {
      this.running = undefined;
    }
    if (this.visible && (this.stale || live)) this.schedule(this.stale ? this.pauseMs : this.liveMs);
  }
}
