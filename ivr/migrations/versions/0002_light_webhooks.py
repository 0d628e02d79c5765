"""light webhooks: call state for URL-less webhooks, call analytics counted per day

Revision ID: 0002_light_webhooks
Revises: 0001_initial
"""
from alembic import op
import sqlalchemy as sa


revision = "0002_light_webhooks"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("flags", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("unlocked", sa.String(length=200), nullable=True))
    op.create_table(
        "call_tallies",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("event", sa.String(length=24), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "event", name=op.f("pk_call_tallies")),
    )
    # Carry what the reports read from call_steps into the daily counts, so past figures stay.
    sqlite = op.get_bind().dialect.name == "sqlite"
    day = "date(at)" if sqlite else "CAST(at AT TIME ZONE 'UTC' AS DATE)"
    op.execute(f"""
        INSERT INTO call_tallies (day, event, n)
        SELECT d, step, COUNT(DISTINCT call_id) FROM (
            SELECT {day} AS d, step, call_id FROM call_steps
            WHERE step IN ('stories', 'circles', 'shares', 'crisis')) AS reached
        GROUP BY d, step
    """)
    op.execute(f"""
        INSERT INTO call_tallies (day, event, n)
        SELECT {day}, 'crisis_press', COUNT(*) FROM call_steps
        WHERE step = 'crisis' AND outcome IS NULL GROUP BY {day}
    """)


def downgrade():
    op.drop_table("call_tallies")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_column("unlocked")
        batch_op.drop_column("flags")
