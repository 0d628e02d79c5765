""""This helped me" counts once per caller per story: a table of keyed markers already counted.

Revision ID: 0009_helped_once
Revises: 0008_caller_silences
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_helped_once"
down_revision = "0008_caller_silences"
branch_labels = None
depends_on = None


def upgrade():
    """Create story_helped_marks (story, HMAC marker); the primary key makes a repeat count fail."""
    op.create_table(
        "story_helped_marks",
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("marker", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["story_id"], ["stories.id"], name=op.f("fk_story_helped_marks_story_id_stories"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("story_id", "marker", name=op.f("pk_story_helped_marks")),
    )


def downgrade():
    """Drop the markers (the counts on stories stay)."""
    op.drop_table("story_helped_marks")
