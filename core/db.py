"""Database URL resolution, engine set-up (SQLite pragmas), sessions and schema migrations."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from core.errors import DatabaseError
from core.i18n import _

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def default_sqlite_path() -> Path:
    """The SQLite file in the user's XDG data directory."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "kontor" / "kontor.db"


def resolve_url(cli_url: str | None = None) -> str:
    """`--db`, then KONTOR_DATABASE_URL, else the SQLite file in the XDG data directory."""
    url = cli_url or os.environ.get("KONTOR_DATABASE_URL")
    if url:
        if "://" not in url:  # a bare path means a SQLite file
            url = f"sqlite:///{Path(url).expanduser().resolve()}"
        return url
    return f"sqlite:///{default_sqlite_path()}"


def _prepare_sqlite_file(url: str) -> None:
    """Create the SQLite file (and its folder) readable by its owner only."""
    database = make_url(url).database
    if not database or database == ":memory:":
        return
    path = Path(database)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # Autocommit mode for the pragmas, then let SQLAlchemy manage transactions.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA cache_size=-32000")
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


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {s.revision for s in ScriptDirectory.from_config(_alembic_config()).walk_revisions()}


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
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

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
