"""The garbage collector held off while a big document's first diagnostics are made and
sent.

The first look at a 39 MB Claude Code file reads it and converts its 10k findings; the
collections that fall among them (~25 ms, mostly one pass over the read's survivors)
delayed the diagnostics. Held off, they become one collection, made when the full read
that follows begins: after the diagnostics are written. Nothing is lost but time: the
collector is only paused, and it resumes at the latest after `LONGEST_PAUSE` (a look
whose diagnostics are never sent, a document closed meanwhile).
"""

from __future__ import annotations

import gc
import threading

LONGEST_PAUSE = 2.0  # seconds


class CollectorPause:
    """`pause()` turns automatic collection off unless it already is; `resume()` turns
    back on what `pause()` turned off, from any thread, once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    @property
    def paused(self) -> bool:
        return self._timer is not None

    def pause(self) -> None:
        with self._lock:
            if self._timer is not None or not gc.isenabled():
                return  # already paused, or off for someone else: theirs to turn on
            timer = threading.Timer(LONGEST_PAUSE, self.resume)
            timer.daemon = True
            timer.start()  # first: a thread that cannot start leaves the collector on
            self._timer = timer
            gc.disable()

    def resume(self) -> None:
        with self._lock:
            timer, self._timer = self._timer, None
            if timer is None:
                return
            timer.cancel()
            gc.enable()


FIRST_LOOK = CollectorPause()  # from a big first look to its full read
