"""Migrations: a fresh `peerline db upgrade` gives the committed schema, on PostgreSQL and on SQLite.

Each test migrates an empty database of its own (never the session's test database) with the
`db upgrade` command the CLI runs, then compares the reflected schema with tests/core/schema/<dialect>.txt,
compares the models with the database (Alembic's compare_metadata), and migrates back down to nothing.
The PostgreSQL cases are postgres_only: the SQLite pass of the suite runs the SQLite cases alone.
Regenerate the snapshots after an intended schema change: PEERLINE_UPDATE_SCHEMA=1 pytest tests/core/test_migrations.py
"""
from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from ivr import create_app
from ivr.extensions import db
from tests.conftest import DATABASE_URL, _fresh_database, base_config
from tests.core.schema_support import compare_with_snapshot, describe_schema

MIGRATIONS = Path(__file__).resolve().parents[2] / "ivr" / "migrations"
SQUASHED = "0001_initial"


def _postgres_url() -> str:
    """A database of these tests' own, on the test PostgreSQL server (its name is the test database's + _schema)."""
    url = DATABASE_URL if DATABASE_URL.startswith("postgresql") else "postgresql://postgres@127.0.0.1:5432/peerline_test"
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_schema").render_as_string(hide_password=False)


@pytest.fixture(params=[pytest.param("postgresql", marks=pytest.mark.postgres_only), "sqlite"])
def empty_app(request, tmp_path):
    """The app on an empty database of the parametrised dialect (nothing migrated yet)."""
    url = _postgres_url() if request.param == "postgresql" else f"sqlite:///{tmp_path / 'schema.db'}"
    _fresh_database(url)
    application = create_app(base_config(tmp_path, DATABASE_URL=url))
    application.config["TEST_DIALECT"] = request.param
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _db(app, *args: str) -> str:
    """Run `peerline db ARGS` (Flask-Migrate's commands, as the CLI runs them); return the output, fail on error."""
    result = app.test_cli_runner().invoke(args=["db", *args])
    assert result.exit_code == 0, f"peerline db {' '.join(args)} failed:\n{result.output}\n{result.exception!r}"
    return result.output


def test_the_history_is_one_line_from_the_initial_migration():
    """One base, one head, no merge points: each revision follows exactly one other."""
    script = ScriptDirectory(str(MIGRATIONS))
    assert script.get_bases() == [SQUASHED]
    assert len(script.get_heads()) == 1
    for revision in script.walk_revisions():
        assert not revision.is_merge_point, f"{revision.revision} merges branches"
        assert revision.branch_labels == set()


def test_a_fresh_upgrade_gives_the_committed_schema(empty_app):
    """`peerline db upgrade` on an empty database gives, line for line, the snapshot's tables and constraints."""
    _db(empty_app, "upgrade")
    with empty_app.app_context():
        schema = describe_schema(db.engine)
    problem = compare_with_snapshot(empty_app.config["TEST_DIALECT"], schema)
    assert problem is None, problem


def test_the_models_match_the_migrated_database(empty_app):
    """Alembic's autogenerate comparison (types included) finds nothing between the models and the database."""
    _db(empty_app, "upgrade")
    with empty_app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_downgrade_to_base_removes_every_table_and_upgrade_runs_again(empty_app):
    """Down to nothing leaves only Alembic's empty version table; a second upgrade works on what is left."""
    _db(empty_app, "upgrade")
    _db(empty_app, "downgrade", "base")
    with empty_app.app_context():
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()
    _db(empty_app, "upgrade")
    with empty_app.app_context():
        assert set(db.metadata.tables) <= set(inspect(db.engine).get_table_names())


def _stamp_by_hand(app, revision: str) -> None:
    """Write a revision into alembic_version directly, as a database migrated by the old chain has it."""
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


def _version(app) -> list[str]:
    with app.app_context(), db.engine.connect() as connection:
        return [row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))]


def test_a_database_from_the_squashed_chain_is_told_how_to_stamp(empty_app, caplog):
    """At 0011_hardening: upgrade stops and names the stamp command; after it, upgrade works."""
    _db(empty_app, "upgrade", SQUASHED)  # the old chain's schema, whatever migrations follow the squash
    _stamp_by_hand(empty_app, "0008_caller_silences")
    assert empty_app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 1
    assert "delete the database" in caplog.text  # older than the squash's equal: start afresh

    caplog.clear()
    _stamp_by_hand(empty_app, "0011_hardening")
    assert empty_app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 1
    assert f"peerline db stamp --purge {SQUASHED}" in caplog.text

    _db(empty_app, "stamp", "--purge", SQUASHED)
    _db(empty_app, "upgrade")
    assert _version(empty_app) == [ScriptDirectory(str(MIGRATIONS)).get_current_head()]
