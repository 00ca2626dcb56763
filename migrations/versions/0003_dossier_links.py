"""Expiring links to a victim's dossier (bot/dossier_links.py): the token's hash, the conversation, the expiry.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 07:00:00

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: Union[str, None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "dossier_links",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_dossier_links_sender_id", "dossier_links", ["sender_id"])
    op.create_index("ix_dossier_links_expires_at", "dossier_links", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_dossier_links_expires_at", table_name="dossier_links")
    op.drop_index("ix_dossier_links_sender_id", table_name="dossier_links")
    op.drop_table("dossier_links")
