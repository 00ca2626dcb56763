"""Migrations (migrations/, console/schema.py) and the models agree, on SQLite and PostgreSQL; a database created
without migrations is recognised and stamped, a different one is refused without being touched."""

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from bot import db
from console import schema
from tests.databases import temporary_database


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    with temporary_database(request.param, tmp_path) as database_url:
        yield database_url
        db.engine(database_url).dispose()


def _tables(url: str) -> set:
    return set(inspect(db.engine(url)).get_table_names())


def test_the_migrations_build_exactly_the_models(url):
    schema.upgrade(url)
    assert schema.differences(url) == []
    assert {t.name for t in schema.METADATA.sorted_tables} <= _tables(url)
    with db.engine(url).connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == _head(url)


def _head(url: str) -> str:
    # Raises when two branches each added a migration on the same parent: chain them.
    return ScriptDirectory.from_config(schema.config(url)).get_current_head()


def test_full_text_search_is_created_by_the_migration(url):
    schema.upgrade(url)
    engine = db.engine(url)
    if engine.dialect.name == "sqlite":
        assert "conversation_search" in _tables(url)
    else:
        indexes = {i["name"] for i in inspect(engine).get_indexes("conversation_index")}
        with engine.connect() as connection:
            found = connection.execute(
                text("SELECT indexname FROM pg_indexes WHERE indexname = 'ix_conversation_index_fts'")
            )
            assert found.first() is not None or "ix_conversation_index_fts" in indexes


def test_a_database_created_before_migrations_is_stamped_then_upgraded(url):
    db.create_all(url)  # how every deployed database was created so far
    assert "alembic_version" not in _tables(url)
    assert "marquée" in schema.upgrade(url)
    assert schema.differences(url) == []
    with db.engine(url).connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == _head(url)
    assert schema.upgrade(url) == "migrations appliquées"  # and again: nothing to do


def test_a_different_existing_database_is_refused_untouched(url):
    db.create_all(url)
    with db.engine(url).begin() as connection:
        connection.execute(text("ALTER TABLE ratings ADD COLUMN surprise VARCHAR(10)"))
    with pytest.raises(RuntimeError, match="ne correspond pas"):
        schema.upgrade(url)
    assert "alembic_version" not in _tables(url)


def test_upgrade_on_an_empty_database_leaves_rasa_its_events_table(url):
    schema.upgrade(url)
    assert "events" not in _tables(url)  # Rasa creates and owns it
