"""Journeys per hour × incident × channel (console/observatory/models.py ObservatoryHourly), for the waves.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-17 10:00:00

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: Union[str, None] = "0006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "observatory_hourly",
        sa.Column("incident", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("journeys", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("incident", "channel", "hour"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_observatory_hourly_hour", "observatory_hourly", ["hour"])


def downgrade() -> None:
    op.drop_index("ix_observatory_hourly_hour", table_name="observatory_hourly")
    op.drop_table("observatory_hourly")
