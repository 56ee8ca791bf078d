"""memray in the client's own process, in rotating windows (standard library + memray only).

A driver of the whole-client protocol starts this when the harness sets ``FAULTLINE_MEMRAY_DIR``:
every ``FAULTLINE_MEMRAY_WINDOW_S`` seconds the current ``memray.Tracker`` (AGGREGATED format) is
closed and a new one opened, each writing ``w00000.bin``, ``w00001.bin``, ... Why windows and not
one capture (reference/load-memory.md section 0.6): an aggregated capture is written only at exit
(a killed process leaves nothing) and keeps every memory snapshot in the process's RAM until then;
a window loses at most itself and resets that buffer. Each closed window is announced as a
``memory_window`` event so the harness reads it while the run goes on.

Environment: ``FAULTLINE_MEMRAY_DIR`` (where windows go), ``FAULTLINE_MEMRAY_WINDOW_S`` (default
60), ``FAULTLINE_MEMRAY_INTERVAL_MS`` (memory snapshot period, default 1000),
``FAULTLINE_MEMRAY_PYALLOC`` (1: trace Python's own allocators too, which short runs need to see
small-object leaks; about 2x the CPU), ``FAULTLINE_MEMRAY_GC_S`` (run a full ``gc.collect()`` this
often, default off: the soak sets it to its sub-window, so that garbage waiting for Python's cyclic
collector, which frees it only when its oldest generation has grown by a quarter, does not read as
growth; a leak is what survives a full collection).

The window switch runs in the client's loop (memray's Tracker is process-wide; closing one blocks
the loop ~15 ms); SIGTERM closes the open window before the process dies.
"""

import asyncio
import gc
import os
import signal
import time
from pathlib import Path


class MemoryAgent:
    def __init__(self, emit, directory, *, window_s=60.0, interval_ms=1000, pyalloc=False, gc_s=0.0):
        import memray  # only a tracked client needs it

        self.memray = memray
        self.emit = emit
        self.directory = Path(directory)
        self.window_s = window_s
        self.interval_ms = interval_ms
        self.pyalloc = pyalloc
        self.gc_s = gc_s
        self._tracker = None
        self._window = None
        self._task = None

    @classmethod
    def from_environment(cls, emit):
        directory = os.environ.get("FAULTLINE_MEMRAY_DIR")
        if not directory:
            return None
        try:
            return cls(
                emit,
                directory,
                window_s=float(os.environ.get("FAULTLINE_MEMRAY_WINDOW_S", "60")),
                interval_ms=int(os.environ.get("FAULTLINE_MEMRAY_INTERVAL_MS", "1000")),
                pyalloc=os.environ.get("FAULTLINE_MEMRAY_PYALLOC", "0") == "1",
                gc_s=float(os.environ.get("FAULTLINE_MEMRAY_GC_S", "0")),
            )
        except ImportError as exc:  # the harness says so in its verdict; the client still runs
            emit("memory_error", error=f"memray is not importable in this client's interpreter: {exc}")
            return None

    def start(self, loop):
        self.directory.mkdir(parents=True, exist_ok=True)
        self._task = loop.create_task(self._rotate())
        loop.add_signal_handler(signal.SIGTERM, self._terminated)
        return self._task

    async def _rotate(self):
        index = 0
        while True:
            self._open(index)
            try:
                await self._sleep(self.window_s)
            finally:
                self._close()
            index += 1

    async def _sleep(self, seconds):
        if self.gc_s <= 0:
            await asyncio.sleep(seconds)
            return
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            await asyncio.sleep(min(self.gc_s, left))
            gc.collect()

    def _open(self, index):
        path = self.directory / f"w{index:05d}.bin"
        path.unlink(missing_ok=True)
        tracker = self.memray.Tracker(
            path,
            file_format=self.memray.FileFormat.AGGREGATED_ALLOCATIONS,
            memory_interval_ms=self.interval_ms,
            trace_python_allocators=self.pyalloc,
        )
        tracker.__enter__()
        self._tracker, self._window = tracker, (index, str(path), time.time())

    def _close(self):
        tracker, window = self._tracker, self._window
        if tracker is None:
            return
        self._tracker = self._window = None
        started = time.monotonic()
        tracker.__exit__(None, None, None)
        index, path, start = window
        self.emit(
            "memory_window",
            window=index,
            file=path,
            start=start,
            end=time.time(),
            close_s=time.monotonic() - started,
            pyalloc=self.pyalloc,
        )

    async def stop(self):
        """Close the open window (the last one is as complete as the run)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._close()

    def _terminated(self):
        self._close()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
