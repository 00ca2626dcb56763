"""The observatory's alerts (console/observatory/alert_models.py): waves and campaigns found by the detection job.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-17 09:00:00

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: Union[str, None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "observatory_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("incident", sa.String(length=64), nullable=False),
        sa.Column("public", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("baseline", sa.Float(), nullable=False),
        sa.Column("first_at", sa.DateTime(), nullable=False),
        sa.Column("last_at", sa.DateTime(), nullable=False),
        sa.Column("sample", sa.Text(), nullable=False),
        sa.Column("sample_sender_id", sa.String(length=255), nullable=True),
        sa.Column("indicators", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_observatory_alerts_last_at", "observatory_alerts", ["last_at"])
    op.create_index("ix_observatory_alerts_sample_sender_id", "observatory_alerts", ["sample_sender_id"])


def downgrade() -> None:
    op.drop_index("ix_observatory_alerts_sample_sender_id", table_name="observatory_alerts")
    op.drop_index("ix_observatory_alerts_last_at", table_name="observatory_alerts")
    op.drop_table("observatory_alerts")
