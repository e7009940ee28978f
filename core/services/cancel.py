"""Cancel a running search from another thread: a keystroke's query ends the previous one's.

The console's search worker passes a `SearchCancel` to `contacts.list_contacts` /
`count_contacts`; when a new keystroke arrives, the screen calls `cancel()` on the old token,
and the query running under it stops at once instead of holding a connection (and a core)
while the fresh query waits:

* SQLite: `sqlite3.Connection.interrupt()` on the connection running the stale query;
* PostgreSQL: a statement cancel (`psycopg.Connection.cancel()`). The cancel request travels
  on its own connection and may arrive late, so a connection that was sent one is discarded
  instead of going back to the pool.

The cancelled call raises `core.errors.SearchCancelled`. A token is single-use: once
cancelled, every later call with it raises at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from core.errors import SearchCancelled

T = TypeVar("T")


class SearchCancel:
    """A cancellation token for one search (one query text)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self._running: tuple[Any, str] | None = None  # (driver connection, dialect)
        self._sent = False

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def cancel(self) -> None:
        """Stop the query running under this token (if any) and refuse later ones; any thread."""
        with self._lock:
            self._cancelled = True
            if self._running is None:
                return
            conn, dialect = self._running
            # An error here means the query ended meanwhile: there is nothing left to stop.
            with suppress(Exception):
                if dialect == "sqlite":
                    conn.interrupt()
                else:
                    conn.cancel()
                self._sent = True

    def check(self) -> None:
        if self._cancelled:
            raise SearchCancelled("cancelled")

    @contextmanager
    def attach(self, session: Session) -> Iterator[None]:
        """Run the block's queries cancellably on `session`'s connection."""
        self.check()
        connection = session.connection()
        dialect = session.get_bind().dialect.name
        driver = connection.connection.driver_connection
        with self._lock:
            self.check()
            self._running, self._sent = (driver, dialect), False
        try:
            yield
        finally:
            with self._lock:
                self._running = None
                sent = self._sent
            if sent and dialect != "sqlite":  # a late cancel must not hit someone else
                connection.invalidate()


def run_cancellable(cancel: SearchCancel | None, reading: Callable[[], Any],
                    body: Callable[[Session], T]) -> T:
    """`body(session)` in a reading session, stopped by `cancel` (None: not cancellable)."""
    if cancel is None:
        with reading() as session:
            return body(session)
    try:
        with reading() as session, cancel.attach(session):
            return body(session)
    except SQLAlchemyError:
        if cancel.cancelled:
            raise SearchCancelled("cancelled") from None
        raise


__all__ = ["SearchCancel", "run_cancellable"]
