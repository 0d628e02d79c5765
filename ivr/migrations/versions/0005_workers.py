"""workers: on-call alerts for crisis-tier shares

Revision ID: 0005_workers
Revises: 0002_shares
"""
from alembic import op
import sqlalchemy as sa


revision = "0005_workers"
down_revision = "0002_shares"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "oncall_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("share_id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message_sid", sa.String(length=64), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["share_id"], ["shares.id"], name=op.f("fk_oncall_alerts_share_id_shares"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_alerts")),
        sa.UniqueConstraint("share_id", name=op.f("uq_oncall_alerts_share_id")),
    )


def downgrade():
    op.drop_table("oncall_alerts")
