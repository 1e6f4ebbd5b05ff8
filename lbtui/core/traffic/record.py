"""`--record FILE`: one JSON line per finished request, written by a background thread.

The generator's workers only put the outcome on a queue (no I/O on their path); the writer
thread turns outcomes into lines and writes them in batches. The queue holds at most the
run's own requests (a run is bounded in count and time), and `close()` writes what is left.
"""

from __future__ import annotations

import json
import queue
import threading
from pathlib import Path
from types import TracebackType
from typing import TextIO

from lbtui.core.errors import BadInput, RuntimeFailure
from lbtui.core.traffic.outcome import Outcome

#: Lines written per batch before the writer looks at the queue again.
_BATCH = 512


class RequestRecorder:
    """Writes each outcome given to it as a JSON line to `path`, off the caller's thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._file: TextIO = path.open("w", encoding="utf-8")
        except OSError as error:
            raise BadInput(f"cannot write the record file {path}: {error.strerror}") from None
        self._queue: queue.SimpleQueue[Outcome | None] = queue.SimpleQueue()
        self._closed = False
        self._close_lock = threading.Lock()
        self.written = 0
        """Lines written so far."""
        self.late = 0
        """Outcomes that arrived after `close()` (requests left in flight by a stop)."""
        self._failure: OSError | None = None
        self._thread = threading.Thread(target=self._write, name="lbtui-record", daemon=True)
        self._thread.start()

    def __call__(self, outcome: Outcome) -> None:
        """Queue one outcome (called from the generator's workers; never blocks on I/O)."""
        if self._closed:
            self.late += 1
            return
        self._queue.put(outcome)

    def close(self) -> int:
        """Write what is queued, close the file; the number of lines written."""
        with self._close_lock:
            if not self._closed:
                self._closed = True
                self._queue.put(None)
                self._thread.join()
                self._file.close()
                # Put by a worker racing this close, after the end marker.
                while not self._queue.empty():
                    if self._queue.get_nowait() is not None:
                        self.late += 1
        if self._failure is not None:
            raise RuntimeFailure(
                f"writing the record file {self.path} failed after {self.written} lines: "
                f"{self._failure.strerror or self._failure}"
            )
        return self.written

    def __enter__(self) -> RequestRecorder:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _write(self) -> None:
        ended = False
        while not ended:
            batch: list[str] = []
            item = self._queue.get()
            while True:
                if item is None:
                    ended = True
                    break
                batch.append(json.dumps(item.as_record(), separators=(",", ":")))
                if len(batch) >= _BATCH:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if batch and self._failure is None:
                try:
                    self._file.write("\n".join(batch) + "\n")
                    self._file.flush()
                    self.written += len(batch)
                except OSError as error:
                    # Kept for close() to report; the run itself goes on.
                    self._failure = error
