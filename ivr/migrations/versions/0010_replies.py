"""replies to stories: a reply is a share marked with its story; storytellers can turn replies off

Revision ID: 0010_replies
Revises: 0009_helped_once
"""
from alembic import op
import sqlalchemy as sa


revision = "0010_replies"
down_revision = "0009_helped_once"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("shares") as batch:
        batch.add_column(sa.Column("is_reply", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("reply_to_story_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("reply_audio_key", sa.String(length=300), nullable=True))
        batch.create_index(batch.f("ix_shares_reply_to_story_id"), ["reply_to_story_id"])
    with op.batch_alter_table("share_drafts") as batch:
        batch.add_column(sa.Column("reply_to_story_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("stories") as batch:
        batch.add_column(sa.Column("replies_open", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade():
    with op.batch_alter_table("stories") as batch:
        batch.drop_column("replies_open")
    with op.batch_alter_table("share_drafts") as batch:
        batch.drop_column("reply_to_story_id")
    with op.batch_alter_table("shares") as batch:
        batch.drop_index(batch.f("ix_shares_reply_to_story_id"))
        batch.drop_column("reply_audio_key")
        batch.drop_column("reply_to_story_id")
        batch.drop_column("is_reply")
