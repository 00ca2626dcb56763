"""Staff two-factor sign-in: the TOTP secret and last used time step of an account, the stage of a session.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 15:15:00

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: Union[str, None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        # Sessions opened before this migration were full sign-ins.
        batch_op.add_column(sa.Column("stage", sa.String(length=10), nullable=False, server_default="signed_in"))
        batch_op.add_column(sa.Column("enrol_secret", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.drop_column("enrol_secret")
        batch_op.drop_column("stage")
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_secret")
