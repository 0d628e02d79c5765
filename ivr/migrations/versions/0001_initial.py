"""initial: Peerline's whole schema, grouped by feature

Revision ID: 0001_initial
Revises:
Create Date: 2026-12-01

One migration instead of the eleven (0001_spine .. 0011_hardening, three branches joined at
0006_merge) that built the schema while nothing was deployed. It creates exactly what that chain
created, on PostgreSQL and on SQLite: tests/core/test_migrations.py compares a fresh upgrade with
the snapshots in tests/core/schema/, which were captured from the old chain before it was removed.

Sections, in the order foreign keys need them:
  calls     callers, calls and their steps, settings, PIN guesses
  shares    voice shares, recording drafts, the deletion audit, on-call alerts
  stories   topics, stories, "this helped me" markers
  circles   circles, facilitators, sessions, roster, per-call state, reminders
  staff     staff accounts and their audit log

Constraint and index names follow ivr.extensions.NAMING, so they match what the models expect.
A database migrated by the old chain (at 0011_hardening) has this same schema: stamp it with
`peerline db stamp --purge 0001_initial` (see README, "Database migrations").
"""
from alembic import op
import sqlalchemy as sa


revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def _id():
    """The integer primary-key column every table but settings and story_helped_marks has."""
    return sa.Column("id", sa.Integer(), nullable=False)


def _ts(name, nullable=True):
    """An aware UTC timestamp column (TIMESTAMP WITH TIME ZONE on PostgreSQL)."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _str(name, length, nullable=True):
    """A VARCHAR column."""
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def _int(name, nullable=False):
    """An INTEGER column, NOT NULL unless said otherwise (counters, references)."""
    return sa.Column(name, sa.Integer(), nullable=nullable)


def _flag(name, server_default=None):
    """A NOT NULL BOOLEAN column; a server default only where an earlier table grew the column."""
    return sa.Column(name, sa.Boolean(), nullable=False, server_default=server_default)


def _fk(column, target, table, ondelete=None):
    """A foreign key named by the project's convention: fk_<table>_<column>_<referred table>."""
    referred = target.split(".")[0]
    return sa.ForeignKeyConstraint([column], [target], name=f"fk_{table}_{column}_{referred}", ondelete=ondelete)


def _indexes(table, *columns):
    """One plain index per column, named ix_<table>_<column>."""
    for column in columns:
        op.create_index(f"ix_{table}_{column}", table, [column], unique=False)


def upgrade():
    """Create every table, section by section."""
    _calls()
    _shares()
    _stories()
    _circles()
    _staff()


def downgrade():
    """Drop every table, children before parents (their indexes go with them)."""
    for table in (
        "audit_entries", "staff_users",
        "circle_reminders", "circle_calls", "circle_participants", "circle_sessions",
        "circle_facilitators", "circles",
        "story_helped_marks", "stories", "topics",
        "oncall_alerts", "share_audit", "share_drafts", "shares",
        "guess_attempts", "settings", "call_steps", "calls", "callers",
    ):
        op.drop_table(table)


def _calls():
    """Callers (by HMAC of the number only), calls keyed by CallSid, their steps, settings, PIN guesses."""
    op.create_table(
        "callers",
        _id(),
        _str("number_hash", 64, nullable=False),  # HMAC of the phone number: never the number itself
        _str("language", 8),
        _flag("heard_howto"),
        _ts("created_at", nullable=False),
        _ts("last_call_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_callers"),
        sa.UniqueConstraint("number_hash", name="uq_callers_number_hash"),
    )
    op.create_table(
        "calls",
        _id(),
        _str("call_sid", 64, nullable=False),
        _int("caller_id", nullable=True),
        _str("language", 8, nullable=False),
        _str("step", 64),
        _str("return_step", 64),
        _int("misses"),
        _int("errors"),
        # Only silence ends a call; the default covers rows written before the column existed.
        sa.Column("silences", sa.Integer(), nullable=False, server_default="0"),
        _str("status", 24, nullable=False),
        _ts("started_at", nullable=False),
        _ts("ended_at"),
        _int("duration_s", nullable=True),
        _fk("caller_id", "callers.id", "calls", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_calls"),
        sa.UniqueConstraint("call_sid", name="uq_calls_call_sid"),
    )
    _indexes("calls", "caller_id")
    op.create_table(
        "call_steps",
        _id(),
        _int("call_id"),
        _str("step", 64, nullable=False),
        _str("outcome", 32),
        _ts("at", nullable=False),
        _fk("call_id", "calls.id", "call_steps", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_call_steps"),
    )
    _indexes("call_steps", "call_id")
    op.create_table(
        "settings",
        _str("key", 64, nullable=False),
        _str("value", 1000, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_settings"),
    )
    # Each PIN try (share, facilitator) with its own time, so limits count tries, not calls.
    op.create_table(
        "guess_attempts",
        _id(),
        _str("kind", 16, nullable=False),
        _int("target_id", nullable=True),
        _str("call_sid", 64, nullable=False),
        _int("caller_id", nullable=True),
        _flag("ok"),
        _ts("at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_guess_attempts"),
    )
    _indexes("guess_attempts", "kind", "target_id", "call_sid", "caller_id", "at")


def _shares():
    """Voice shares and replies, drafts while recording, the deletion audit, on-call alerts."""
    op.create_table(
        "shares",
        _id(),
        _str("reference", 12, nullable=False),
        _str("recording_sid", 64, nullable=False),
        _str("call_sid", 64),
        _int("caller_id", nullable=True),
        _str("pin_hash", 200),
        _int("pin_failures"),
        _str("language", 8, nullable=False),
        _str("consent", 16, nullable=False),
        _flag("disguise"),
        _str("status", 24, nullable=False),
        _int("duration_s", nullable=True),
        _flag("truncated"),
        # Audio: Twilio's copy (deleted once stored) and ours, as recorded, redacted and disguised.
        _str("recording_url", 500),
        _flag("twilio_deleted"),
        _str("original_key", 300),
        _str("redacted_key", 300),
        _str("disguised_key", 300),
        # Worker results and retries.
        sa.Column("transcript", sa.JSON(), nullable=True),
        sa.Column("screening", sa.JSON(), nullable=True),
        _str("tier", 32),
        _int("priority"),
        sa.Column("reasons", sa.JSON(), nullable=True),
        _str("failure_reason", 200),
        _int("attempts"),
        _ts("retry_after"),
        # A tier a moderator set after listening, and who set it.
        _str("tier_set_by", 64),
        _ts("tier_set_at"),
        # Replies to stories (reply_to_story_id has no foreign key, as before the squash).
        _flag("is_reply", server_default=sa.false()),
        _int("reply_to_story_id", nullable=True),
        _str("reply_audio_key", 300),
        # Review.
        _ts("created_at", nullable=False),
        _ts("processed_at"),
        _ts("queued_at"),
        _ts("decided_at"),
        _str("decided_by", 64),
        _ts("followed_up_at"),
        sa.Column("follow_up_note", sa.Text(), nullable=True),
        _fk("caller_id", "callers.id", "shares", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_shares"),
        sa.UniqueConstraint("reference", name="uq_shares_reference"),
        sa.UniqueConstraint("recording_sid", name="uq_shares_recording_sid"),
    )
    _indexes("shares", "call_sid", "caller_id", "status", "priority", "reply_to_story_id")
    op.create_table(
        "share_drafts",
        _id(),
        _int("call_id"),
        _str("reference", 12, nullable=False),
        _str("language", 8, nullable=False),
        _str("consent", 16),
        _flag("disguise"),
        _str("pin_hash", 200),
        _str("recording_sid", 64),
        _str("recording_url", 500),
        _int("duration_s", nullable=True),
        _str("outcome", 16),
        _int("reply_to_story_id", nullable=True),
        _ts("created_at", nullable=False),
        _fk("call_id", "calls.id", "share_drafts", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_share_drafts"),
        sa.UniqueConstraint("reference", name="uq_share_drafts_reference"),
    )
    _indexes("share_drafts", "call_id")
    # That a share was withdrawn, discarded or deleted, and by whom; no foreign key, never its content.
    op.create_table(
        "share_audit",
        _id(),
        _int("share_id", nullable=True),
        _str("reference", 12),
        _str("action", 24, nullable=False),
        _str("actor", 64, nullable=False),
        _ts("at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_share_audit"),
    )
    _indexes("share_audit", "share_id")
    op.create_table(
        "oncall_alerts",
        _id(),
        _int("share_id"),
        _str("tier", 32, nullable=False),
        _str("status", 16, nullable=False),
        _str("message_sid", 64),
        _str("error", 200),
        _int("attempts"),
        _ts("created_at", nullable=False),
        _ts("sent_at"),
        _fk("share_id", "shares.id", "oncall_alerts", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_oncall_alerts"),
        sa.UniqueConstraint("share_id", name="uq_oncall_alerts_share_id"),
    )


def _stories():
    """Story topics (one key each), published stories, and "this helped me" counted once per caller."""
    op.create_table(
        "topics",
        _id(),
        _str("slug", 48, nullable=False),
        _str("key", 1, nullable=False),
        _int("position"),
        sa.Column("names", sa.JSON(), nullable=False),
        _flag("active"),
        sa.PrimaryKeyConstraint("id", name="pk_topics"),
        sa.UniqueConstraint("slug", name="uq_topics_slug"),
        sa.UniqueConstraint("key", name="uq_topics_key"),
    )
    op.create_table(
        "stories",
        _id(),
        _int("share_id", nullable=True),
        _int("topic_id"),
        _str("title", 200, nullable=False),
        _str("language", 8, nullable=False),
        _str("content_note", 64),
        _str("audio_key", 300),
        _str("audio_hash", 64),
        _str("audio_type", 48, nullable=False),
        _int("duration_s"),
        _ts("created_at", nullable=False),
        _ts("published_at"),
        _ts("unpublished_at"),
        _int("plays"),
        _int("helped"),
        _flag("replies_open", server_default=sa.true()),
        _fk("share_id", "shares.id", "stories", ondelete="SET NULL"),
        _fk("topic_id", "topics.id", "stories"),
        sa.PrimaryKeyConstraint("id", name="pk_stories"),
    )
    _indexes("stories", "share_id", "topic_id", "published_at")
    # The primary key makes a second count by the same caller (HMAC marker) fail.
    op.create_table(
        "story_helped_marks",
        _int("story_id"),
        _str("marker", 64, nullable=False),
        _fk("story_id", "stories.id", "story_helped_marks", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("story_id", "marker", name="pk_story_helped_marks"),
    )


def _circles():
    """Circles and their facilitators, each meeting's conference and roster, per-call state, reminders."""
    op.create_table(
        "circles",
        _id(),
        _int("number"),
        _str("name", 80, nullable=False),
        _str("topic", 200, nullable=False),
        _str("language", 8, nullable=False),
        _str("timezone", 64, nullable=False),
        _str("days", 32, nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        _int("duration_min"),
        _int("cap"),
        _flag("participant_muted_default"),
        _flag("locked"),
        _str("status", 16, nullable=False),
        _ts("created_at", nullable=False),
        # op.f: the name is final (the naming convention would prefix ck_circles_ once more).
        sa.CheckConstraint("cap >= 2 AND cap <= 250", name=op.f("ck_circles_cap_range")),  # Twilio's limit
        sa.PrimaryKeyConstraint("id", name="pk_circles"),
        sa.UniqueConstraint("number", name="uq_circles_number"),
    )
    op.create_table(
        "circle_facilitators",
        _id(),
        _int("circle_id"),
        _int("staff_user_id", nullable=True),
        _str("label", 80, nullable=False),
        _str("pin_hash", 255, nullable=False),
        _str("phone_hash", 64),  # HMAC of a registered phone, never the number
        _flag("active"),
        _ts("created_at", nullable=False),
        _fk("circle_id", "circles.id", "circle_facilitators", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_circle_facilitators"),
    )
    _indexes("circle_facilitators", "circle_id")
    op.create_table(
        "circle_sessions",
        _id(),
        _int("circle_id"),
        _str("conference_name", 40, nullable=False),
        _str("conference_sid", 64),
        _str("status", 16, nullable=False),
        _flag("locked"),
        _int("facilitator_id", nullable=True),
        _int("last_speaker_id", nullable=True),
        _int("last_sequence"),
        _flag("rules_announced"),
        _flag("staff_started", server_default=sa.false()),
        _ts("created_at", nullable=False),
        _ts("started_at"),
        _ts("ended_at"),
        _fk("circle_id", "circles.id", "circle_sessions", ondelete="CASCADE"),
        _fk("facilitator_id", "circle_facilitators.id", "circle_sessions", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_circle_sessions"),
        sa.UniqueConstraint("conference_name", name="uq_circle_sessions_conference_name"),
        sa.UniqueConstraint("conference_sid", name="uq_circle_sessions_conference_sid"),
    )
    _indexes("circle_sessions", "circle_id")
    op.create_table(
        "circle_participants",
        _id(),
        _int("session_id"),
        _str("label", 40, nullable=False),
        _str("call_sid", 64, nullable=False),
        _int("caller_id", nullable=True),
        _str("role", 16, nullable=False),
        _flag("connected"),
        _flag("muted"),
        _flag("hold"),
        _flag("speaking"),
        _ts("hand_raised_at"),
        _ts("in_menu_since"),
        _flag("removed"),
        _flag("rules_heard"),
        _ts("created_at", nullable=False),
        _ts("joined_at"),
        _ts("left_at"),
        _int("last_sequence"),
        _str("name_recording_sid", 64),
        _str("name_recording_url", 500),
        _fk("session_id", "circle_sessions.id", "circle_participants", ondelete="CASCADE"),
        _fk("caller_id", "callers.id", "circle_participants", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_circle_participants"),
        sa.UniqueConstraint("label", name="uq_circle_participants_label"),
        sa.UniqueConstraint("session_id", "call_sid", name="uq_circle_participants_session_call"),
    )
    _indexes("circle_participants", "session_id")
    op.create_table(
        "circle_calls",
        _id(),
        _str("call_sid", 64, nullable=False),
        _int("circle_id", nullable=True),
        _int("facilitator_id", nullable=True),
        _int("pin_failures"),
        _int("reminder_id", nullable=True),
        _str("name_recording_sid", 64),
        _str("name_recording_url", 500),
        _ts("created_at", nullable=False),
        _fk("circle_id", "circles.id", "circle_calls", ondelete="SET NULL"),
        _fk("facilitator_id", "circle_facilitators.id", "circle_calls", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_circle_calls"),
        sa.UniqueConstraint("call_sid", name="uq_circle_calls_call_sid"),
    )
    op.create_table(
        "circle_reminders",
        _id(),
        _int("circle_id"),
        _int("caller_id", nullable=True),
        _str("channel", 8, nullable=False),
        _str("language", 8, nullable=False),
        _ts("meeting_at", nullable=False),
        _ts("remind_at", nullable=False),
        sa.Column("number_encrypted", sa.Text(), nullable=True),  # never the number in clear
        _str("status", 16, nullable=False),
        _flag("opted_out"),
        _int("attempts"),
        _str("call_sid", 64),
        _ts("created_at", nullable=False),
        _ts("sent_at"),
        _fk("circle_id", "circles.id", "circle_reminders", ondelete="CASCADE"),
        _fk("caller_id", "callers.id", "circle_reminders", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_circle_reminders"),
    )
    _indexes("circle_reminders", "circle_id", "caller_id", "remind_at")


def _staff():
    """Staff accounts (roles, lockout, session nonce) and the audit log of what staff did."""
    op.create_table(
        "staff_users",
        _id(),
        _str("email", 254, nullable=False),
        _str("name", 120, nullable=False),
        _str("password_hash", 255, nullable=False),
        _str("role", 16, nullable=False),
        _flag("active"),
        _int("failed_logins"),
        _ts("locked_until"),
        _ts("last_failed_at"),
        _str("session_nonce", 64, nullable=False),
        _ts("created_at", nullable=False),
        _ts("last_login_at"),
        sa.PrimaryKeyConstraint("id", name="pk_staff_users"),
        sa.UniqueConstraint("email", name="uq_staff_users_email"),
    )
    op.create_table(
        "audit_entries",
        _id(),
        _int("staff_id", nullable=True),
        _str("actor", 254, nullable=False),
        _str("action", 64, nullable=False),
        _str("object_type", 32),
        _str("object_id", 64),
        _str("detail", 200),
        _ts("at", nullable=False),
        _fk("staff_id", "staff_users.id", "audit_entries", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_audit_entries"),
    )
    _indexes("audit_entries", "staff_id", "action", "at")
