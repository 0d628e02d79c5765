"""hardening: PIN tries by their own time, facilitators' registered phones, console starts,
share retries with backoff

Revision ID: 0011_hardening
Revises: 0010_replies
"""
from alembic import op
import sqlalchemy as sa


revision = "0011_hardening"
down_revision = "0010_replies"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "guess_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("caller_id", sa.Integer(), nullable=True),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guess_attempts")),
    )
    with op.batch_alter_table("guess_attempts", schema=None) as batch_op:
        for column in ("kind", "target_id", "call_sid", "caller_id", "at"):
            batch_op.create_index(batch_op.f(f"ix_guess_attempts_{column}"), [column], unique=False)
    with op.batch_alter_table("circle_facilitators", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone_hash", sa.String(length=64), nullable=True))
    with op.batch_alter_table("circle_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("staff_started", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("shares", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retry_after", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("shares", schema=None) as batch_op:
        batch_op.drop_column("retry_after")
    with op.batch_alter_table("circle_sessions", schema=None) as batch_op:
        batch_op.drop_column("staff_started")
    with op.batch_alter_table("circle_facilitators", schema=None) as batch_op:
        batch_op.drop_column("phone_hash")
    with op.batch_alter_table("guess_attempts", schema=None) as batch_op:
        for column in ("at", "caller_id", "call_sid", "target_id", "kind"):
            batch_op.drop_index(batch_op.f(f"ix_guess_attempts_{column}"))
    op.drop_table("guess_attempts")
