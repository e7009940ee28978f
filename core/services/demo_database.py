"""`kontor --demo`: a throwaway copy of a demo database that is built once and cached.

Building the demo (contacts with a history, a few hundred plans, the catalogue of products
and offers, subscriptions billed to today) takes seconds; copying a file takes milliseconds.
The cached file is keyed by the schema head and the source of the demo modules, so a new
Kontor builds a new one. After the copy, the billing run catches up from the day the cache
was built to now, and the person starting the demo is made an admin of their copy.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

DEMO_CONTACTS = 2_500
DEMO_PLANS = 300  # enough to try the plan list's filters, sort and columns
DEMO_ORDERS = 600  # orders and accesses on the demo contacts (demo_orders.py)
DEMO_BUILDER = "demo"  # the first operator (admin) of the cached database

_SOURCES = ("demo.py", "groups.py", "demo_billing.py", "demo_database.py", "demo_catalogue.py",
            "catalogue.py", "demo_orders.py", "orders.py")


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kontor"


def fingerprint() -> str:
    """Changes whenever the schema or the demo's own code changes."""
    from core.db import head_revision

    h = hashlib.sha256(head_revision().encode())
    here = Path(__file__).resolve().parent
    for name in _SOURCES:
        h.update((here / name).read_bytes())
    h.update(f"{DEMO_CONTACTS}/{DEMO_PLANS}/{DEMO_ORDERS}".encode())
    return h.hexdigest()[:16]


def build(path: Path, progress: Callable[[str], None] | None = None) -> None:
    """Fill a new SQLite file at `path` with the demo data."""
    from core.db import open_database
    from core.services.demo import generate_plans, seed_demo
    from core.services.demo_billing import seed_billing_demo, seed_demo_plans
    from core.services.demo_catalogue import seed_catalogue_demo
    from core.services.demo_orders import generate_orders
    from core.services.operators import sign_in

    say = progress or (lambda _msg: None)
    db = open_database(f"sqlite:///{path}")
    try:
        ctx = sign_in(db, DEMO_BUILDER)
        say("contacts")
        seed_demo(ctx, DEMO_CONTACTS)
        say("plans")
        generate_plans(ctx, DEMO_PLANS)
        seed_demo_plans(ctx)
        say("catalogue")
        seed_catalogue_demo(ctx)
        say("subscriptions")
        seed_billing_demo(ctx)
        say("orders")
        generate_orders(ctx, DEMO_ORDERS)
        say("groups")
        seed_groups_demo(ctx)
    finally:
        db.dispose()  # the last connection closing checkpoints the WAL into the file


def seed_groups_demo(ctx) -> None:
    """Two groups for the issue-12 journey, through the groups service: a full team of 5
    seats on the monthly group offer (5 participants) and a one-time group with free seats."""
    from core.services.groups import create_group, enrol

    full = create_group(ctx, {"offer": "deutsch-a1-team", "leader": "sabine.vogt@example.org",
                              "leader_name": "Sabine Vogt", "name": "Sprachschule Nord",
                              "seats": 5, "leader_takes_seat": False})
    nord = ("Jonas Albers", "Mira Hansen", "Tobias Lange", "Lena Petersen", "Felix Brandt")
    for i, name in enumerate(nord, 1):
        enrol(ctx, full.id, f"nord{i}@example.org", name=name)
    free = create_group(ctx, {"offer": "cucina-gruppo", "leader": "giulia.conti@example.org",
                              "leader_name": "Giulia Conti", "name": "Cucina Milano",
                              "seats": 8, "leader_takes_seat": True})
    for i, name in enumerate(("Marco Galli", "Sara Moretti"), 1):
        enrol(ctx, free.id, f"milano{i}@example.org", name=name)


def cached_demo(progress: Callable[[str], None] | None = None,
                directory: Path | None = None) -> Path:
    """The cached demo database for this Kontor, built first when it is missing."""
    directory = directory or cache_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = directory / f"demo-{fingerprint()}.db"
    if target.exists():
        return target
    for old in directory.glob("demo-*.db"):  # an older Kontor's demo
        old.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".demo-", suffix=".db", dir=directory)
    os.close(fd)
    os.unlink(tmp)
    try:
        build(Path(tmp), progress)
        os.replace(tmp, target)  # atomic: a concurrent start sees a whole file or none
    finally:
        for leftover in (tmp, tmp + "-wal", tmp + "-shm"):
            if os.path.exists(leftover):
                os.unlink(leftover)
    return target


def open_demo(workdir: Path, login: str, progress: Callable[[str], None] | None = None,
              directory: Path | None = None) -> str:
    """Copy the cached demo into `workdir` and make `login` an admin there; returns its URL."""
    from core.db import open_database
    from core.errors import NotFound
    from core.models import utcnow
    from core.services.billing_run import run_billing
    from core.services.operators import add_operator, get_operator, sign_in

    source = cached_demo(progress, directory)
    path = workdir / "demo.db"
    shutil.copyfile(source, path)
    os.chmod(path, 0o600)
    url = f"sqlite:///{path}"
    db = open_database(url)
    try:
        builder = sign_in(db, DEMO_BUILDER)
        if login != DEMO_BUILDER:
            try:
                get_operator(builder, login)
            except NotFound:
                add_operator(builder, {"login": login, "name": login, "role": "admin"})
        if progress:
            progress("billing")
        run_billing(builder, utcnow())  # catch up from the day the cache was built
    finally:
        db.dispose()
    return url
