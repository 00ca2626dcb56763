"""On PostgreSQL, the rollups' primary keys carry their count (INCLUDE): the statistics page reads only the index.

console/observatory/models.py `counted_in_primary_key` says why and builds the same statement for new databases.
Rebuilding the keys of a year of rollups took 11 s (3.6 million rows); nothing changes on SQLite.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 02:00:00

"""

from typing import Sequence, Union

from alembic import op

revision: str = "0009"
down_revision: Union[str, None] = "0008"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

KEYS = {
    "observatory_rollup": ("public, channel, region, incident, day", "journeys"),
    "observatory_fact_rollup": ("kind, public, channel, region, incident, day, value", "count"),
}


def _primary_keys(include: bool) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, (keys, count) in KEYS.items():
        carried = f" INCLUDE ({count})" if include else ""
        op.execute(
            f"ALTER TABLE {table} DROP CONSTRAINT {table}_pkey, "
            f"ADD CONSTRAINT {table}_pkey PRIMARY KEY ({keys}){carried}"
        )


def upgrade() -> None:
    _primary_keys(include=True)


def downgrade() -> None:
    _primary_keys(include=False)
