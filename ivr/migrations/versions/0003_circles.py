"""circles: circles, facilitators, sessions, roster, per-call state, reminders

Revision ID: 0003_circles
Revises: 0001_spine
Create Date: 2026-11-25 17:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0003_circles"
down_revision = "0001_spine"
branch_labels = None
depends_on = None


def _ts(name, nullable=True):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade():
    op.create_table(
        "circles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("days", sa.String(length=32), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("duration_min", sa.Integer(), nullable=False),
        sa.Column("cap", sa.Integer(), nullable=False),
        sa.Column("participant_muted_default", sa.Boolean(), nullable=False),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        _ts("created_at", False),
        sa.CheckConstraint("cap >= 2 AND cap <= 250", name=op.f("ck_circles_cap_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_circles")),
        sa.UniqueConstraint("number", name=op.f("uq_circles_number")),
    )
    op.create_table(
        "circle_facilitators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("staff_user_id", sa.Integer(), nullable=True),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("pin_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _ts("created_at", False),
        sa.ForeignKeyConstraint(["circle_id"], ["circles.id"], name=op.f("fk_circle_facilitators_circle_id_circles"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_circle_facilitators")),
    )
    op.create_index(op.f("ix_circle_facilitators_circle_id"), "circle_facilitators", ["circle_id"])
    op.create_table(
        "circle_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("conference_name", sa.String(length=40), nullable=False),
        sa.Column("conference_sid", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("facilitator_id", sa.Integer(), nullable=True),
        sa.Column("last_speaker_id", sa.Integer(), nullable=True),
        sa.Column("last_sequence", sa.Integer(), nullable=False),
        sa.Column("rules_announced", sa.Boolean(), nullable=False),
        _ts("created_at", False),
        _ts("started_at"),
        _ts("ended_at"),
        sa.ForeignKeyConstraint(["circle_id"], ["circles.id"], name=op.f("fk_circle_sessions_circle_id_circles"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["facilitator_id"], ["circle_facilitators.id"],
                                name=op.f("fk_circle_sessions_facilitator_id_circle_facilitators"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_circle_sessions")),
        sa.UniqueConstraint("conference_name", name=op.f("uq_circle_sessions_conference_name")),
        sa.UniqueConstraint("conference_sid", name=op.f("uq_circle_sessions_conference_sid")),
    )
    op.create_index(op.f("ix_circle_sessions_circle_id"), "circle_sessions", ["circle_id"])
    op.create_table(
        "circle_participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("caller_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("connected", sa.Boolean(), nullable=False),
        sa.Column("muted", sa.Boolean(), nullable=False),
        sa.Column("hold", sa.Boolean(), nullable=False),
        sa.Column("speaking", sa.Boolean(), nullable=False),
        _ts("hand_raised_at"),
        _ts("in_menu_since"),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.Column("rules_heard", sa.Boolean(), nullable=False),
        _ts("created_at", False),
        _ts("joined_at"),
        _ts("left_at"),
        sa.Column("last_sequence", sa.Integer(), nullable=False),
        sa.Column("name_recording_sid", sa.String(length=64), nullable=True),
        sa.Column("name_recording_url", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["session_id"], ["circle_sessions.id"],
                                name=op.f("fk_circle_participants_session_id_circle_sessions"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["caller_id"], ["callers.id"], name=op.f("fk_circle_participants_caller_id_callers"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_circle_participants")),
        sa.UniqueConstraint("label", name=op.f("uq_circle_participants_label")),
        sa.UniqueConstraint("session_id", "call_sid", name="uq_circle_participants_session_call"),
    )
    op.create_index(op.f("ix_circle_participants_session_id"), "circle_participants", ["session_id"])
    op.create_table(
        "circle_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=True),
        sa.Column("facilitator_id", sa.Integer(), nullable=True),
        sa.Column("pin_failures", sa.Integer(), nullable=False),
        sa.Column("reminder_id", sa.Integer(), nullable=True),
        sa.Column("name_recording_sid", sa.String(length=64), nullable=True),
        sa.Column("name_recording_url", sa.String(length=500), nullable=True),
        _ts("created_at", False),
        sa.ForeignKeyConstraint(["circle_id"], ["circles.id"], name=op.f("fk_circle_calls_circle_id_circles"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["facilitator_id"], ["circle_facilitators.id"],
                                name=op.f("fk_circle_calls_facilitator_id_circle_facilitators"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_circle_calls")),
        sa.UniqueConstraint("call_sid", name=op.f("uq_circle_calls_call_sid")),
    )
    op.create_table(
        "circle_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("caller_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        _ts("meeting_at", False),
        _ts("remind_at", False),
        sa.Column("number_encrypted", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=True),
        _ts("created_at", False),
        _ts("sent_at"),
        sa.ForeignKeyConstraint(["circle_id"], ["circles.id"], name=op.f("fk_circle_reminders_circle_id_circles"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["caller_id"], ["callers.id"], name=op.f("fk_circle_reminders_caller_id_callers"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_circle_reminders")),
    )
    op.create_index(op.f("ix_circle_reminders_circle_id"), "circle_reminders", ["circle_id"])
    op.create_index(op.f("ix_circle_reminders_caller_id"), "circle_reminders", ["caller_id"])
    op.create_index(op.f("ix_circle_reminders_remind_at"), "circle_reminders", ["remind_at"])


def downgrade():
    for index, table in (("ix_circle_reminders_remind_at", "circle_reminders"),
                         ("ix_circle_reminders_caller_id", "circle_reminders"),
                         ("ix_circle_reminders_circle_id", "circle_reminders")):
        op.drop_index(op.f(index), table_name=table)
    op.drop_table("circle_reminders")
    op.drop_table("circle_calls")
    op.drop_index(op.f("ix_circle_participants_session_id"), table_name="circle_participants")
    op.drop_table("circle_participants")
    op.drop_index(op.f("ix_circle_sessions_circle_id"), table_name="circle_sessions")
    op.drop_table("circle_sessions")
    op.drop_index(op.f("ix_circle_facilitators_circle_id"), table_name="circle_facilitators")
    op.drop_table("circle_facilitators")
    op.drop_table("circles")
