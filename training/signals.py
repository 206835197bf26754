"""Stop training cleanly on SIGTERM or Ctrl-C: finish the step, write a checkpoint, then stop.

Why: CI runners and schedulers stop jobs with SIGTERM, and without a handler a run loses every
step since its last periodic checkpoint. The first signal asks the loop to stop after the current
step; the handler then steps aside, so a second signal acts at once (as it would without rai).
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopRequests:
    """Context manager: `received` is the first signal's number, or None."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._previous: dict[int, object] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.received = signum
        signal.signal(signum, self._previous[signum])  # type: ignore[arg-type]

    def __enter__(self) -> "StopRequests":
        if threading.current_thread() is threading.main_thread():  # signal handlers live on the main thread only
            for signum in SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)  # type: ignore[arg-type]
        self._previous.clear()
