"""The database schema as plain text, so a migrated database can be compared with a committed snapshot.

`describe_schema(engine)` reflects every table (Alembic's own version table left out) and writes one
line per column, primary key, foreign key, index, unique constraint and check constraint, each kind
sorted by name. Columns are sorted too: their order in the table carries no meaning, and sorting
lets a migration create a column beside its feature's others instead of where a later change
appended it. Regenerate the snapshots with PEERLINE_UPDATE_SCHEMA=1 (see tests/core/test_migrations.py).
"""
from __future__ import annotations

import difflib
import os
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import Engine

SNAPSHOTS = Path(__file__).resolve().parent / "schema"
UPDATE = os.environ.get("PEERLINE_UPDATE_SCHEMA") == "1"
IGNORED_TABLES = {"alembic_version"}


def describe_schema(engine: Engine) -> str:
    """Reflect every table of the database behind `engine` into normalised, sorted lines of text."""
    inspector = inspect(engine)
    lines = [f"# {engine.dialect.name} schema, one line per column and constraint (see schema_support.py)"]
    for table in sorted(set(inspector.get_table_names()) - IGNORED_TABLES):
        lines.append(f"table {table}")
        lines.extend(_describe_table(inspector, engine.dialect, table))
    return "\n".join(lines) + "\n"


def _describe_table(inspector, dialect, table: str) -> list[str]:
    """The indented lines for one table: columns, then each kind of constraint, each sorted."""
    columns = []
    for column in inspector.get_columns(table):
        text = f"  column {column['name']} {column['type'].compile(dialect=dialect)}"
        text += " NULL" if column["nullable"] else " NOT NULL"
        if column.get("default") is not None:
            text += f" DEFAULT {column['default']}"
        columns.append(text)
    lines = sorted(columns)

    pk = inspector.get_pk_constraint(table)
    if pk.get("constrained_columns"):
        lines.append(f"  primary key {pk.get('name')} ({', '.join(pk['constrained_columns'])})")

    foreign = []
    for fk in inspector.get_foreign_keys(table):
        options = " ".join(f"{k}={v}" for k, v in sorted(fk.get("options", {}).items()) if v)
        foreign.append(f"  foreign key {fk.get('name')} ({', '.join(fk['constrained_columns'])}) -> "
                       f"{fk['referred_table']} ({', '.join(fk['referred_columns'])}) {options}".rstrip())
    lines.extend(sorted(foreign))

    indexes = []
    for index in inspector.get_indexes(table):
        if index.get("duplicates_constraint"):
            continue  # PostgreSQL's index behind a unique constraint: the constraint is listed below
        kind = "unique index" if index["unique"] else "index"
        indexes.append(f"  {kind} {index['name']} ({', '.join(c or '?' for c in index['column_names'])})")
    lines.extend(sorted(indexes))

    uniques = [f"  unique {uq.get('name')} ({', '.join(uq['column_names'])})"
               for uq in inspector.get_unique_constraints(table)]
    lines.extend(sorted(uniques))

    checks = [f"  check {ck.get('name')}: {' '.join(ck['sqltext'].split())}"
              for ck in inspector.get_check_constraints(table)]
    lines.extend(sorted(checks))
    return lines


def compare_with_snapshot(name: str, schema: str) -> str | None:
    """Compare with the committed snapshot `schema/<name>.txt` (or write it when updating); a diff on mismatch."""
    path = SNAPSHOTS / f"{name}.txt"
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(schema)
        return None
    if not path.exists():
        return f"{path.name} is missing: run PEERLINE_UPDATE_SCHEMA=1 pytest tests/core/test_migrations.py"
    committed = path.read_text()
    if committed == schema:
        return None
    diff = difflib.unified_diff(committed.splitlines(), schema.splitlines(),
                                f"schema/{name}.txt (committed)", f"{name} (this migration run)", lineterm="")
    return ("\n".join(diff) + "\n\nThe migrations no longer give the committed schema. If the change is intended,"
            " run PEERLINE_UPDATE_SCHEMA=1 pytest tests/core/test_migrations.py and commit the snapshot.")
