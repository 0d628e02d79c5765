"""shares: voice shares, recording drafts, deletion audit, story topics and stories

Revision ID: 0002_shares
Revises: 0001_spine
"""
from alembic import op
import sqlalchemy as sa


revision = "0002_shares"
down_revision = "0001_spine"
branch_labels = None
depends_on = None


def _ts(name, nullable=True):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade():
    op.create_table(
        "shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=12), nullable=False),
        sa.Column("recording_sid", sa.String(length=64), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=True),
        sa.Column("caller_id", sa.Integer(), nullable=True),
        sa.Column("pin_hash", sa.String(length=200), nullable=True),
        sa.Column("pin_failures", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("consent", sa.String(length=16), nullable=False),
        sa.Column("disguise", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("duration_s", sa.Integer(), nullable=True),
        sa.Column("truncated", sa.Boolean(), nullable=False),
        sa.Column("recording_url", sa.String(length=500), nullable=True),
        sa.Column("twilio_deleted", sa.Boolean(), nullable=False),
        sa.Column("original_key", sa.String(length=300), nullable=True),
        sa.Column("redacted_key", sa.String(length=300), nullable=True),
        sa.Column("disguised_key", sa.String(length=300), nullable=True),
        sa.Column("transcript", sa.JSON(), nullable=True),
        sa.Column("screening", sa.JSON(), nullable=True),
        sa.Column("tier", sa.String(length=32), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=True),
        sa.Column("failure_reason", sa.String(length=200), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _ts("created_at", nullable=False),
        _ts("processed_at"),
        _ts("queued_at"),
        _ts("decided_at"),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        _ts("followed_up_at"),
        sa.Column("follow_up_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["caller_id"], ["callers.id"], name=op.f("fk_shares_caller_id_callers"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shares")),
        sa.UniqueConstraint("reference", name=op.f("uq_shares_reference")),
        sa.UniqueConstraint("recording_sid", name=op.f("uq_shares_recording_sid")),
    )
    with op.batch_alter_table("shares", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shares_call_sid"), ["call_sid"], unique=False)
        batch_op.create_index(batch_op.f("ix_shares_caller_id"), ["caller_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_shares_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_shares_priority"), ["priority"], unique=False)

    op.create_table(
        "share_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=12), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("consent", sa.String(length=16), nullable=True),
        sa.Column("disguise", sa.Boolean(), nullable=False),
        sa.Column("pin_hash", sa.String(length=200), nullable=True),
        sa.Column("recording_sid", sa.String(length=64), nullable=True),
        sa.Column("recording_url", sa.String(length=500), nullable=True),
        sa.Column("duration_s", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        _ts("created_at", nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name=op.f("fk_share_drafts_call_id_calls"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_drafts")),
        sa.UniqueConstraint("reference", name=op.f("uq_share_drafts_reference")),
    )
    with op.batch_alter_table("share_drafts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_share_drafts_call_id"), ["call_id"], unique=False)

    op.create_table(
        "share_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("share_id", sa.Integer(), nullable=True),
        sa.Column("reference", sa.String(length=12), nullable=True),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        _ts("at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_audit")),
    )
    with op.batch_alter_table("share_audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_share_audit_share_id"), ["share_id"], unique=False)

    op.create_table(
        "topics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=48), nullable=False),
        sa.Column("key", sa.String(length=1), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("names", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topics")),
        sa.UniqueConstraint("slug", name=op.f("uq_topics_slug")),
        sa.UniqueConstraint("key", name=op.f("uq_topics_key")),
    )

    op.create_table(
        "stories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("share_id", sa.Integer(), nullable=True),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("content_note", sa.String(length=64), nullable=True),
        sa.Column("audio_key", sa.String(length=300), nullable=True),
        sa.Column("audio_hash", sa.String(length=64), nullable=True),
        sa.Column("audio_type", sa.String(length=48), nullable=False),
        sa.Column("duration_s", sa.Integer(), nullable=False),
        _ts("created_at", nullable=False),
        _ts("published_at"),
        _ts("unpublished_at"),
        sa.Column("plays", sa.Integer(), nullable=False),
        sa.Column("helped", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["share_id"], ["shares.id"], name=op.f("fk_stories_share_id_shares"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["topic_id"], ["topics.id"], name=op.f("fk_stories_topic_id_topics")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stories")),
    )
    with op.batch_alter_table("stories", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stories_share_id"), ["share_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_stories_topic_id"), ["topic_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_stories_published_at"), ["published_at"], unique=False)


def downgrade():
    op.drop_table("stories")
    op.drop_table("topics")
    op.drop_table("share_audit")
    op.drop_table("share_drafts")
    op.drop_table("shares")
