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


def _primary_key_of(url: str, table: str) -> str:
    with db.engine(url).connect() as connection:
        query = text(
            "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = CAST(:table AS regclass) AND indisprimary"
        )
        return connection.execute(query, {"table": table}).scalar()


@pytest.mark.parametrize("built_by", ["models", "migrations"])
def test_on_postgresql_the_rollups_primary_keys_carry_their_counts(tmp_path, built_by):
    """The statistics page's queries are index-only scans (console/observatory/models.py counted_in_primary_key)."""
    with temporary_database("postgresql", tmp_path) as url:
        db.create_all(url) if built_by == "models" else schema.upgrade(url)
        rollup = _primary_key_of(url, "observatory_rollup")
        facts = _primary_key_of(url, "observatory_fact_rollup")
        assert rollup.endswith("(public, channel, region, incident, day) INCLUDE (journeys)"), rollup
        assert facts.endswith("(kind, public, channel, region, incident, day, value) INCLUDE (count)"), facts
        assert schema.differences(url) == []
        db.engine(url).dispose()
