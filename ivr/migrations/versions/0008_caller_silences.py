"""Count a call's silences in a row (only silence ends a call; wrong keys never do).

Revision ID: 0008_caller_silences
Revises: 0007_moderator_tier
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_caller_silences"
down_revision = "0007_moderator_tier"
branch_labels = None
depends_on = None


def upgrade():
    """Add calls.silences (0 for calls already on the line)."""
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("silences", sa.Integer(), nullable=False, server_default="0"))


def downgrade():
    """Drop calls.silences."""
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("silences")
