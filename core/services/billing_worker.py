"""The billing run's worker process: reads and computes chunks while the run writes.

    python -m core.services.billing_worker REQUEST_FD RESULT_FD

Started by `core.services.billing_run` for large runs on SQLite. It only ever reads the
database; the run writes every chunk, one transaction each.

Protocol (pickled messages): the run sends its parameters, then `(epoch, after)`: "compute
the chunks after id `after`". The worker then reads and computes chunk after chunk on its
own, each sent back as `(epoch, True, ChunkResult)`, and `(epoch, True, None)` when nothing
more is due; `(epoch, False, None)` when computing failed (the run then computes that chunk
itself, raising the error there). A new `(epoch, after)` — the run lost a race and redoes a
chunk — restarts it there; results of an older epoch are dropped by the run. A sender thread
and the pipe hold at most two chunks ahead, so memory stays flat. The worker exits when the
run closes the pipe — or dies: a killed run leaves no worker behind.
"""

from __future__ import annotations

import os
import queue
import signal
import sys
import threading


def _die_with_parent() -> None:
    """Linux: SIGKILL this process when the run that started it dies (belt and braces: the
    closed pipe ends the loop anyway)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the pipe's EOF is enough
        return


def main(request_fd: int, result_fd: int) -> int:
    from multiprocessing.connection import Connection

    parent = os.getppid()
    _die_with_parent()
    if os.getppid() != parent:  # the run died before prctl took effect
        return 0
    requests = Connection(request_fd, writable=False)
    results = Connection(result_fd, readable=False)
    outbox: queue.Queue = queue.Queue(maxsize=1)

    def sender() -> None:  # pickles and sends while the next chunk is computed
        try:
            while (message := outbox.get()) is not None:
                results.send(message)
        except OSError:  # the run is gone
            os._exit(0)

    thread = threading.Thread(target=sender, daemon=True)
    thread.start()
    db = None
    try:
        url, upto, operator, fast, chunk, now = requests.recv()
        from core.db import Database
        from core.models import utcnow
        from core.services.billing_sqlite import SqliteChunks, read_chunk, sqlite_ts

        db = Database(url)
        computer = SqliteChunks(upto, operator, fast=fast)
        upto_sql = sqlite_ts(upto)
        epoch, after = requests.recv()
        while True:
            if requests.poll():  # restarted (or the run closed the pipe: EOFError)
                epoch, after = requests.recv()
            try:
                rows = read_chunk(db, computer, upto_sql, after, chunk)
                result = computer.compute(rows, now or utcnow()) if rows else None
                outbox.put((epoch, True, result))
            except Exception:  # noqa: BLE001 - the run recomputes it and raises it there
                outbox.put((epoch, False, None))
                result = None
            if result is None:  # done, or failed: wait for the run
                epoch, after = requests.recv()
            else:
                after = result.last_id
    except (EOFError, OSError):  # the run is done (or gone)
        return 0
    finally:
        outbox.put(None)
        thread.join(timeout=5)
        if db is not None:
            db.dispose()


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), int(sys.argv[2])))
