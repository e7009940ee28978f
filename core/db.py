"""Database URL resolution, engine set-up (SQLite pragmas), sessions and schema migrations."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from core.dbinfo import (  # re-exported: what is known of a database without SQLAlchemy
    MIGRATIONS_DIR,
    default_sqlite_path,
    head_revision,
    known_revisions,
    resolve_url,
)
from core.errors import DatabaseError
from core.i18n import _

__all__ = ["MIGRATIONS_DIR", "Database", "default_sqlite_path", "head_revision",
           "known_revisions", "open_database", "resolve_url"]


def missing_sqlite_file(url: str) -> Path | None:
    """The path of a SQLite file that `url` names but that does not exist yet, else None."""
    if not url.startswith("sqlite"):
        return None
    database = make_url(url).database
    if not database or database == ":memory:":
        return None
    path = Path(database)
    return None if path.exists() else path


def refuse_missing_database(url: str) -> None:
    """A mistyped `--db` must not create an empty database (and make its user the admin)."""
    if url == f"sqlite:///{default_sqlite_path()}":
        return  # the default file is created on first use
    path = missing_sqlite_file(url)
    if path is not None:
        raise DatabaseError(_(
            "There is no database at {path}. Check the path, or create it with "
            "`kontor --db {path} db init` (or fill a new one with `kontor demo-data`)."
        ).format(path=path))


def _prepare_sqlite_file(url: str) -> None:
    """Create the SQLite file (and its folder) readable by its owner only."""
    database = make_url(url).database
    if not database or database == ":memory:":
        return
    path = Path(database)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():
            fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
    except OSError as exc:  # a message, not a traceback, also for `kontor db …`
        raise DatabaseError(_("Cannot open the database {url}: {error}").format(
            url=url, error=exc)) from exc


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # Autocommit mode for the pragmas, then let SQLAlchemy manage transactions.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA cache_size=-8000")  # 8 MB: the OS caches the file too
    cur.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        _prepare_sqlite_file(url)
        engine = create_engine(url, connect_args={"timeout": 5})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return create_engine(url, pool_pre_ping=True)


def _alembic_config(connection=None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


class Database:
    """One database: an engine and a session factory. Services open one session per use case."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed on success and rolled back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self._sessions() as session:
            yield session

    def current_revision(self) -> str | None:
        # A plain query rather than Alembic's MigrationContext: importing Alembic costs
        # ~0.2 s at every start of the console.
        try:
            with self.engine.connect() as conn:
                if not inspect(conn).has_table("alembic_version"):
                    return None
                rows = conn.execute(text("SELECT version_num FROM alembic_version")).all()
        except DBAPIError as exc:  # unreachable server, not a database file, …
            raise DatabaseError(_("Cannot open the database {url}: {error}").format(
                url=self.safe_url, error=exc.orig or exc)) from exc
        if len(rows) > 1:
            raise DatabaseError(_("The database has several schema heads; it cannot be used."))
        return rows[0][0] if rows else None

    def is_empty(self) -> bool:
        return not inspect(self.engine).get_table_names()

    def upgrade(self) -> tuple[str | None, str]:
        """Bring the schema to the code's head revision; returns (before, after)."""
        from alembic import command

        before = self.current_revision()
        self._refuse_newer(before)
        with self.engine.begin() as conn:
            command.upgrade(_alembic_config(conn), "head")
        return before, head_revision()

    def check_revision(self, *, upgrade: bool) -> None:
        """Upgrade an older schema (or refuse to), refuse a schema newer than the code."""
        current = self.current_revision()
        self._refuse_newer(current)
        if current != head_revision():
            if not upgrade:
                raise DatabaseError(
                    _("The database schema is older than this version of Kontor; "
                      "run `kontor db upgrade`.")
                )
            self.upgrade()

    def _refuse_newer(self, current: str | None) -> None:
        if current is not None and current not in known_revisions():
            raise DatabaseError(
                _("The database {url} was written by a newer version of Kontor "
                  "(schema {rev}); upgrade Kontor to open it.").format(
                    url=self.safe_url, rev=current)
            )

    @property
    def safe_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str | None = None, *, upgrade: bool = True) -> Database:
    """Open (and by default migrate) the database at `url` as resolved by `resolve_url`."""
    db = Database(resolve_url(url))
    try:
        db.check_revision(upgrade=upgrade)
    except DatabaseError:
        db.dispose()
        raise
    except Exception as exc:  # connection refused, unreadable file, …
        db.dispose()
        raise DatabaseError(
            _("Cannot open the database {url}: {error}").format(url=db.safe_url, error=exc)
        ) from exc
    return db
