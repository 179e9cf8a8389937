"""The binlog thread: one thread that runs the writer's jobs in order.

Owns the thread and its queue; hands each job's outcome back to the job's
event loop. Must not know files, records or the writer's state.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
_Job = tuple[asyncio.AbstractEventLoop, Callable[[], Any], Callable[[Any], None]]


class Worker:
    """The binlog thread: runs jobs in order and hands each outcome (a value or the
    exception it raised) to a callback on the job's loop.

    A plain queue and one `call_soon_threadsafe` per job: an executor future
    chained to an asyncio future costs several loop callbacks and thread
    handoffs per job, paid once per group commit on the hot path.
    """

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._worker = threading.Thread(target=self._run, name="binlog", daemon=True)
        self._worker.start()

    def submit(
        self, loop: asyncio.AbstractEventLoop, job: Callable[[], T], done: Callable[[Any], None]
    ) -> None:
        self._jobs.put((loop, job, done))

    def call(self, loop: asyncio.AbstractEventLoop, job: Callable[[], T]) -> asyncio.Future[T]:
        """Run `job` on the thread, after the jobs before it; resolves with its outcome."""
        fut: asyncio.Future[T] = loop.create_future()

        def done(outcome: Any) -> None:
            if fut.done():
                return
            if isinstance(outcome, BaseException):
                fut.set_exception(outcome)
            else:
                fut.set_result(outcome)

        self.submit(loop, job, done)
        return fut

    def stop(self) -> None:
        self._jobs.put(None)
        self._worker.join()

    def _run(self) -> None:
        while (item := self._jobs.get()) is not None:
            loop, job, done = item
            try:
                outcome = job()
            except BaseException as exc:  # handed to the loop, which owns the error
                outcome = exc
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
                loop.call_soon_threadsafe(done, outcome)
