import { describe, expect, it } from 'vitest';
import { Refresher, type Timers } from '../../src/logic/refresh';

/** Timers a test moves by hand: `tick(ms)` runs what is due. */
class FakeTimers implements Timers {
  now = 0;
  private next = 1;
  private due = new Map<number, { at: number; fn: () => void }>();
  set(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.due.set(id, { at: this.now + ms, fn });
    return id;
  }
  clear(handle: unknown): void {
    this.due.delete(handle as number);
  }
  get waiting(): number[] {
    return [...this.due.values()].map((d) => d.at - this.now);
  }
  async tick(ms: number): Promise<void> {
    this.now += ms;
    for (const [id, d] of [...this.due]) {
      if (d.at <= this.now) {
        this.due.delete(id);
        d.fn();
      }
    }
    await new Promise((r) => setTimeout(r, 0));
  }
}

function setup(live = false) {
  const timers = new FakeTimers();
  const calls: number[] = [];
  let release: (() => void) | undefined;
  const state = { live, hold: false };
  const refresher = new Refresher(
    async () => {
      calls.push(timers.now);
      if (state.hold) await new Promise<void>((r) => (release = r));
      return { live: state.live };
    },
    timers,
    1000,
    5000,
  );
  return { timers, calls, refresher, state, release: () => release?.() };
}

describe('Refresher', () => {
  it('lists when first shown, not while hidden', async () => {
    const { refresher, calls, timers } = setup();
    refresher.poke();
    await timers.tick(5000);
    expect(calls).toEqual([]);
    refresher.setVisible(true);
    await timers.tick(0);
    expect(calls).toEqual([5000]);
  });

  it('gathers a burst of file events into one listing after the pause', async () => {
    const { refresher, calls, timers } = setup();
    refresher.setVisible(true);
    await timers.tick(0);
    for (let i = 0; i < 25; i++) {
      refresher.poke();
      await timers.tick(100);
    }
    // An agent writing every 100 ms: one listing per pause, not one per write, none starved.
    expect(calls).toEqual([0, 1000, 2000]);
    await timers.tick(499);
    expect(calls).toEqual([0, 1000, 2000]);
    await timers.tick(1);
    expect(calls).toEqual([0, 1000, 2000, 3000]); // the writes after the last listing
    await timers.tick(5000);
    expect(calls).toHaveLength(4);
  });

  it('a change while hidden lists once when shown again', async () => {
    const { refresher, calls, timers } = setup();
    refresher.setVisible(true);
    await timers.tick(0);
    refresher.setVisible(false);
    refresher.poke();
    refresher.poke();
    await timers.tick(3000);
    expect(calls).toEqual([0]);
    refresher.setVisible(true);
    await timers.tick(0);
    expect(calls).toEqual([0, 3000]);
    refresher.setVisible(true); // shown again, nothing changed: no listing
    await timers.tick(2000);
    expect(calls).toEqual([0, 3000]);
  });

  it('one listing at a time: a request meanwhile lists once more after it', async () => {
    const { refresher, calls, timers, state, release } = setup();
    state.hold = true;
    refresher.setVisible(true);
    await timers.tick(0);
    const first = refresher.now();
    const second = refresher.now();
    expect(calls).toEqual([0]);
    state.hold = false;
    release();
    await Promise.all([first, second]);
    expect(calls).toEqual([0, 0]);
  });

  it('while a session is live it lists every few seconds, and stops when none is', async () => {
    const { refresher, calls, timers, state } = setup(true);
    refresher.setVisible(true);
    await timers.tick(0);
    expect(timers.waiting).toEqual([5000]);
    await timers.tick(5000);
    expect(calls).toEqual([0, 5000]);
    state.live = false;
    await timers.tick(5000);
    expect(calls).toEqual([0, 5000, 10000]);
    expect(timers.waiting).toEqual([]);
    state.live = true;
    await refresher.now();
    expect(timers.waiting).toEqual([5000]);
    refresher.poke(); // a change does not wait for the recheck
    expect(timers.waiting).toEqual([1000]);
    refresher.setVisible(false);
    await refresher.now();
    expect(timers.waiting).toEqual([]); // hidden: no rechecks
  });

  it('a failed listing does not stop the next ones; disposed, it never lists', async () => {
    const timers = new FakeTimers();
    let n = 0;
    const refresher = new Refresher(
      async () => {
        n++;
        if (n === 1) throw new Error('server gone');
        return { live: false };
      },
      timers,
    );
    refresher.setVisible(true);
    await timers.tick(0);
    refresher.poke();
    await timers.tick(1000);
    expect(n).toBe(2);
    refresher.poke();
    refresher.dispose();
    await timers.tick(1000);
    await refresher.now();
    expect(n).toBe(2);
    expect(refresher.pending).toBe(false);
  });
});
