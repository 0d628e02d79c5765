"""Merge the shares, circles, staff and workers branches into one line.

Revision ID: 0006_merge
Revises: 0003_circles, 0004_staff, 0005_workers
"""

revision = "0006_merge"
down_revision = ("0003_circles", "0004_staff", "0005_workers")
branch_labels = None
depends_on = None


def upgrade():
    """Nothing to change: this revision only joins the branches."""


def downgrade():
    """Nothing to undo."""
