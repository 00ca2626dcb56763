"""Provider feedback (console/observatory/feedback.py): each provider's link generation, and what providers reported.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10 09:00:00

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: Union[str, None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "provider_feedback_links",
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["provider_id"], ["providers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("provider_id"),
    )
    op.create_table(
        "provider_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("incident", sa.String(length=40), nullable=False),
        sa.Column("public", sa.String(length=20), nullable=False),
        sa.Column("departement", sa.String(length=3), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["provider_id"], ["providers.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_provider_reports_provider_id", "provider_reports", ["provider_id"])
    op.create_index("ix_provider_reports_month", "provider_reports", ["month", "incident", "outcome"])


def downgrade() -> None:
    op.drop_index("ix_provider_reports_month", table_name="provider_reports")
    op.drop_index("ix_provider_reports_provider_id", table_name="provider_reports")
    op.drop_table("provider_reports")
    op.drop_table("provider_feedback_links")
