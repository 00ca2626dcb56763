"""The "vague en cours" notices (bot/notices.py): what a supervisor approved from an observatory alert, told to victims.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-17 10:00:00

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: Union[str, None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "wave_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("incident", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=60), nullable=False),
        sa.Column("text", sa.String(length=180), nullable=False),
        sa.Column("reflex", sa.String(length=140), nullable=False),
        sa.Column("terms", sa.String(length=200), nullable=True),
        sa.Column("sample", sa.Text(), nullable=True),
        sa.Column("sample_sender_id", sa.String(length=255), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_by", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_wave_notices_alert_id", "wave_notices", ["alert_id"])
    op.create_index("ix_wave_notices_incident", "wave_notices", ["incident"])
    op.create_index("ix_wave_notices_sample_sender_id", "wave_notices", ["sample_sender_id"])


def downgrade() -> None:
    op.drop_index("ix_wave_notices_sample_sender_id", table_name="wave_notices")
    op.drop_index("ix_wave_notices_incident", table_name="wave_notices")
    op.drop_index("ix_wave_notices_alert_id", table_name="wave_notices")
    op.drop_table("wave_notices")
