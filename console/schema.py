"""The application's database schema in one place, and its migrations (Alembic, in migrations/).

Every module that defines a table is imported here, so `METADATA` holds them all; Rasa's `events` table is Rasa's
(it creates and changes it) and is left out. `make run` runs `python -m console.schema upgrade` before the servers:

    python -m console.schema upgrade   # a new database: every table; a database Alembic knows: the new migrations;
                                       # a database created without migrations (by create_all): checked
                                       # against the models, then stamped at the latest migration
    python -m console.schema check     # differences between the models and the database (none expected)

The servers still call `db.create_all()` for tables that do not exist (tests, a first start): it creates, never
alters. Every change to an existing table is a migration; tests/test_schema.py fails when the migrations and the
models disagree, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import sys
from typing import Any, List, Optional

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import bot.dossier_links  # noqa: F401  (dossier_links)
import bot.handover  # noqa: F401  (handovers)
import bot.notices  # noqa: F401  (wave_notices)
import bot.providers.models  # noqa: F401  (providers)
import bot.ratings  # noqa: F401  (ratings)
import channels.sms  # noqa: F401  (sms_opt_outs)
import console.models  # noqa: F401  (staff accounts, sessions, audit log, handover notes)
import console.observatory.alert_models  # noqa: F401  (observatory_alerts)
import console.observatory.feedback_models  # noqa: F401  (provider_feedback_links, provider_reports)
import console.observatory.models  # noqa: F401  (observatory aggregates, journeys, cursor)
import console.review_models  # noqa: F401  (review index, annotations, tags)
from bot import db
from bot.settings import PROJECT_ROOT

METADATA = db.Base.metadata
MIGRATIONS = PROJECT_ROOT / "migrations"
# Not ours: Rasa's tracker store, Alembic's own table, SQLite's full-text shadow tables and AUTOINCREMENT counters.
NOT_OURS = ("events", "alembic_version", "conversation_search", "sqlite_sequence")


def is_ours(name: Optional[str]) -> bool:
    return bool(name) and not any(name == other or name.startswith(f"{other}_") for other in NOT_OURS)


def include_object(obj: Any, name: Optional[str], kind: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic's filter: only our tables (and their indexes) are compared and migrated."""
    if kind == "table":
        return is_ours(name)
    table = getattr(obj, "table", None)
    return table is None or is_ours(table.name)


def config(url: Optional[str] = None) -> Config:
    settings = Config(str(PROJECT_ROOT / "alembic.ini"))
    settings.set_main_option("script_location", str(MIGRATIONS))
    settings.set_main_option("sqlalchemy.url", (url or str(db.engine().url)).replace("%", "%%"))
    return settings


def differences(url: Optional[str] = None) -> List[Any]:
    """What Alembic would change to make the database match the models (empty when they agree)."""
    with db.engine(url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": include_object, "compare_type": True})
        return compare_metadata(context, METADATA)


def upgrade(url: Optional[str] = None) -> str:
    """Brings the database to the latest migration; says what it did, in French."""
    engine = db.engine(url)
    tables = set(inspect(engine).get_table_names())
    alembic = config(str(engine.url))
    if "alembic_version" not in tables and any(is_ours(name) for name in tables):
        # Created by `db.create_all()` without migrations: only a database exactly like the models may be stamped,
        # at the latest revision (the models are what every migration up to it builds).
        found = differences(str(engine.url))
        if found:
            raise RuntimeError(
                "La base existe mais ne correspond pas aux modèles : "
                f"{len(found)} différence(s) (python -m console.schema check). Rien n'a été modifié."
            )
        command.stamp(alembic, "head")
        return "base existante reconnue et marquée à la dernière migration"
    command.upgrade(alembic, "head")
    return "migrations appliquées"


def main(argv: Optional[List[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["upgrade"]:
        print(f"  Base de données       : {upgrade()}")
        return 0
    if args[:1] == ["check"]:
        found = differences()
        for difference in found:
            print(difference)
        return 1 if found else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
