"""moderator tier: a tier a moderator set after listening, and who set it

Revision ID: 0007_moderator_tier
Revises: 0006_merge
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_moderator_tier"
down_revision = "0006_merge"
branch_labels = None
depends_on = None


def upgrade():
    """Add shares.tier_set_by and shares.tier_set_at."""
    with op.batch_alter_table("shares", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tier_set_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("tier_set_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    """Drop the two columns."""
    with op.batch_alter_table("shares", schema=None) as batch_op:
        batch_op.drop_column("tier_set_at")
        batch_op.drop_column("tier_set_by")
