"""Application tables: handovers, staff, review index and annotations, ratings, providers, SMS opt-outs.

Also the full-text search of the review index: an FTS5 table on SQLite, a GIN index on PostgreSQL.

Revision ID: 0001
Revises:
Create Date: 2026-12-02 00:01:42.604717

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: Union[str, None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "conversation_index",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("first_at", sa.Float(), nullable=False),
        sa.Column("last_at", sa.Float(), nullable=False),
        sa.Column("user_messages", sa.Integer(), nullable=False),
        sa.Column("incident", sa.String(length=64), nullable=True),
        sa.Column("min_confidence", sa.Float(), nullable=True),
        sa.Column("fallback", sa.Boolean(), nullable=False),
        sa.Column("handed_over", sa.Boolean(), nullable=False),
        sa.Column("emergency", sa.Boolean(), nullable=False),
        sa.Column("rating", sa.String(length=8), nullable=True),
        sa.Column("reviewed", sa.Boolean(), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("first_message", sa.String(length=300), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sender_id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("conversation_index", schema=None) as batch_op:
        batch_op.create_index("ix_conversation_index_channel", ["channel", "last_at", "id"], unique=False)
        batch_op.create_index("ix_conversation_index_confidence", ["min_confidence"], unique=False)
        batch_op.create_index("ix_conversation_index_incident", ["incident", "last_at", "id"], unique=False)
        batch_op.create_index("ix_conversation_index_recent", ["last_at", "id"], unique=False)
        batch_op.create_index("ix_conversation_index_reviewed", ["reviewed", "last_at", "id"], unique=False)

    op.create_table(
        "conversation_index_state",
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("last_event_id", sa.BigInteger(), nullable=False),
        sa.Column("safe_id", sa.BigInteger(), nullable=False),
        sa.Column("seen_max_id", sa.BigInteger(), nullable=True),
        sa.Column("seen_at", sa.Float(), nullable=True),
        sa.Column("locked_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "handovers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=50), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("urgency", sa.Integer(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("taken_at", sa.DateTime(), nullable=True),
        sa.Column("operator_id", sa.Integer(), nullable=True),
        sa.Column("operator_name", sa.String(length=255), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=50), nullable=True),
        sa.Column("timeout_notified", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("handovers", schema=None) as batch_op:
        batch_op.create_index("ix_handovers_queue", ["state", "urgency", "requested_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_handovers_sender_id"), ["sender_id"], unique=False)

    op.create_table(
        "providers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("postal_code", sa.String(length=5), nullable=True),
        sa.Column("commune", sa.String(length=100), nullable=False),
        sa.Column("departement", sa.String(length=3), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("publics", sa.JSON(), nullable=False),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("competences", sa.JSON(), nullable=False),
        sa.Column("publics_mask", sa.Integer(), nullable=False),
        sa.Column("services_mask", sa.Integer(), nullable=False),
        sa.Column("competences_mask", sa.Integer(), nullable=False),
        sa.Column("x", sa.Float(), nullable=False),
        sa.Column("y", sa.Float(), nullable=False),
        sa.Column("z", sa.Float(), nullable=False),
        sa.Column("expertcyber", sa.Boolean(), nullable=False),
        sa.Column("phone", sa.String(length=30), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("website", sa.String(length=300), nullable=True),
        sa.Column("opening_hours", sa.String(length=300), nullable=True),
        sa.Column("remote", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("providers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_providers_search_departement",
            [
                "departement",
                "active",
                "publics_mask",
                "services_mask",
                "competences_mask",
                "x",
                "y",
                "z",
                "expertcyber",
                "id",
            ],
            unique=False,
        )
        batch_op.create_index(
            "ix_providers_search_remote",
            [
                "remote",
                "departement",
                "active",
                "publics_mask",
                "services_mask",
                "competences_mask",
                "x",
                "y",
                "z",
                "expertcyber",
                "id",
            ],
            unique=False,
        )

    op.create_table(
        "ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        sa.Column("value", sa.String(length=8), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("commented_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ratings_sender_id"), ["sender_id"], unique=False)

    op.create_table(
        "sms_opt_outs",
        sa.Column("number_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("number_hash"),
    )
    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
    )
    op.create_table(
        "handover_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handover_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["staff_users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["handover_id"], ["handovers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("handover_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_handover_notes_handover_id"), ["handover_id"], unique=False)

    op.create_table(
        "review_conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        sa.Column("reviewed", sa.Boolean(), nullable=False),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("flag_reason", sa.String(length=500), nullable=True),
        sa.Column("flagged_by", sa.Integer(), nullable=True),
        sa.Column("flagged_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["flagged_by"], ["staff_users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["reviewed_by"], ["staff_users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sender_id"),
    )
    op.create_table(
        "review_message_annotations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("predicted_intent", sa.String(length=64), nullable=True),
        sa.Column("predicted_confidence", sa.Float(), nullable=True),
        sa.Column("intent", sa.String(length=64), nullable=False),
        sa.Column("entities", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("annotated_by", sa.Integer(), nullable=True),
        sa.Column("annotated_at", sa.DateTime(), nullable=False),
        sa.Column("exported_at", sa.DateTime(), nullable=True),
        sa.Column("export_file", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(["annotated_by"], ["staff_users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    with op.batch_alter_table("review_message_annotations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_message_annotations_sender_id"), ["sender_id"], unique=False)

    op.create_table(
        "review_tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        sa.Column("tag", sa.String(length=50), nullable=False),
        sa.Column("added_by", sa.Integer(), nullable=True),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["added_by"], ["staff_users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sender_id", "tag", name="uq_review_tags_sender_tag"),
    )
    with op.batch_alter_table("review_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_tags_sender_id"), ["sender_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_tags_tag"), ["tag"], unique=False)

    op.create_table(
        "staff_audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("target", sa.String(length=255), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["staff_users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["staff_users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    _full_text_search()


def _full_text_search() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS conversation_search USING fts5"
            "(body, tokenize='unicode61 remove_diacritics 2')"
        )
    elif dialect == "postgresql":
        op.execute(
            "CREATE INDEX IF NOT EXISTS ix_conversation_index_fts ON conversation_index "
            "USING gin (to_tsvector('french', search_text))"
        )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS conversation_search")
    op.execute("DROP INDEX IF EXISTS ix_conversation_index_fts")
    op.drop_table("staff_sessions")
    op.drop_table("staff_audit_log")
    with op.batch_alter_table("review_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_tags_tag"))
        batch_op.drop_index(batch_op.f("ix_review_tags_sender_id"))

    op.drop_table("review_tags")
    with op.batch_alter_table("review_message_annotations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_message_annotations_sender_id"))

    op.drop_table("review_message_annotations")
    op.drop_table("review_conversations")
    with op.batch_alter_table("handover_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handover_notes_handover_id"))

    op.drop_table("handover_notes")
    op.drop_table("staff_users")
    op.drop_table("sms_opt_outs")
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ratings_sender_id"))

    op.drop_table("ratings")
    with op.batch_alter_table("providers", schema=None) as batch_op:
        batch_op.drop_index("ix_providers_search_remote")
        batch_op.drop_index("ix_providers_search_departement")

    op.drop_table("providers")
    with op.batch_alter_table("handovers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handovers_sender_id"))
        batch_op.drop_index("ix_handovers_queue")

    op.drop_table("handovers")
    op.drop_table("conversation_index_state")
    with op.batch_alter_table("conversation_index", schema=None) as batch_op:
        batch_op.drop_index("ix_conversation_index_reviewed")
        batch_op.drop_index("ix_conversation_index_recent")
        batch_op.drop_index("ix_conversation_index_incident")
        batch_op.drop_index("ix_conversation_index_confidence")
        batch_op.drop_index("ix_conversation_index_channel")

    op.drop_table("conversation_index")
