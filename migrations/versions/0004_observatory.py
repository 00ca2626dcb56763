"""The observatory (console/observatory/): anonymous daily aggregates and fact counts (and their rollups for the
statistics queries), the working rows of journeys, and the refresh's cursor.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 10:00:00

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: Union[str, None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "observatory_journeys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        sa.Column("session_event_id", sa.BigInteger(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("last_at", sa.Float(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("incident", sa.String(length=64), nullable=False),
        sa.Column("public", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("departement", sa.String(length=3), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_observatory_journeys_session", "observatory_journeys", ["sender_id", "session_event_id"], unique=True
    )
    op.create_index("ix_observatory_journeys_last_at", "observatory_journeys", ["last_at"])
    op.create_table(
        "observatory_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("incident", sa.String(length=64), nullable=False),
        sa.Column("public", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("departement", sa.String(length=3), nullable=False),
        sa.Column("journeys", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "incident", "public", "channel", "region", "departement"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "observatory_facts",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("incident", sa.String(length=64), nullable=False),
        sa.Column("public", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "incident", "public", "channel", "region", "kind", "value"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_observatory_facts_kind", "observatory_facts", ["kind", "day"])
    op.create_table(
        "observatory_rollup",
        sa.Column("public", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("incident", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("journeys", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("public", "channel", "region", "incident", "day"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "observatory_fact_rollup",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("public", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("incident", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "public", "channel", "region", "incident", "day", "value"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "observatory_state",
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("last_event_id", sa.BigInteger(), nullable=False),
        sa.Column("safe_id", sa.BigInteger(), nullable=False),
        sa.Column("seen_max_id", sa.BigInteger(), nullable=True),
        sa.Column("seen_at", sa.Float(), nullable=True),
        sa.Column("locked_at", sa.Float(), nullable=True),
        sa.Column("refreshed_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("observatory_state")
    op.drop_table("observatory_fact_rollup")
    op.drop_table("observatory_rollup")
    op.drop_index("ix_observatory_facts_kind", table_name="observatory_facts")
    op.drop_table("observatory_facts")
    op.drop_table("observatory_daily")
    op.drop_index("ix_observatory_journeys_last_at", table_name="observatory_journeys")
    op.drop_index("ix_observatory_journeys_session", table_name="observatory_journeys")
    op.drop_table("observatory_journeys")
