"""Views run no SQL of their own: every view module calls its feature's functions instead.

A view module is any module under ivr/ or workers/ with a function decorated by a Blueprint's (or
the app's) `.route(`, `.get(`, `.post(`… found by walking the AST, so files can move freely. Every
function in such a module (views, their private helpers, error handlers) is checked: no
`db.session`, `Model.query`, `select(`, `.execute(`, `*_or_404` of Flask-SQLAlchemy, and no import
of `db` or of a mapped model (type hints may import models under `if TYPE_CHECKING:`). Ending the
request's transaction goes through ivr.database (commit, rollback).
"""
from __future__ import annotations

import ast
import importlib
import importlib.util
from pathlib import Path

from ivr import create_app
from ivr.extensions import db
from tests.conftest import base_config

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("ivr", "workers")
ROUTE_DECORATORS = {"route", "get", "post", "put", "patch", "delete"}
#: Flask-SQLAlchemy's fetch-or-404 helpers: a feature's own get_<thing>() replaces them.
OR_404 = {"get_or_404", "first_or_404", "one_or_404"}
#: SQL builders from sqlalchemy (sqlalchemy.exc's error classes are fine to import).
SQL_BUILDERS = {"select", "text", "insert", "update", "delete", "func", "and_", "or_"}


def _modules() -> list[tuple[str, Path, ast.Module]]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            found.append((name, path, ast.parse(path.read_text(), filename=str(path))))
    return found


def _is_route(decorator: ast.expr) -> bool:
    """`@bp.get("/x")`, `@app.route(f"{API}/y")`: a method named like HTTP, given a URL rule."""
    if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
            and decorator.func.attr in ROUTE_DECORATORS and decorator.args):
        return False
    rule = decorator.args[0]
    if isinstance(rule, ast.Constant) and isinstance(rule.value, str):
        return rule.value.startswith("/")
    return isinstance(rule, ast.JoinedStr)


def _route_functions(tree: ast.Module) -> list[ast.FunctionDef]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)
            and any(_is_route(d) for d in node.decorator_list)]


def view_modules() -> dict[str, tuple[Path, ast.Module, list[str]]]:
    """Module name → (path, tree, names of its route functions), for every module that defines routes."""
    views = {}
    for name, path, tree in _modules():
        routes = _route_functions(tree)
        if routes:
            views[name] = (path, tree, [f.name for f in routes])
    return views


def _type_checking_only(tree: ast.Module) -> set[int]:
    """Ids of the nodes under `if TYPE_CHECKING:` (imports there are for annotations only)."""
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", getattr(node.test, "attr", None)) == "TYPE_CHECKING":
            skipped.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    return skipped


def _is_mapped_model(module: str, name: str) -> bool:
    try:
        value = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return False
    return isinstance(value, type) and issubclass(value, db.Model)


def _enclosing_functions(tree: ast.Module) -> dict[int, str]:
    owner = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for child in ast.walk(node):
                owner.setdefault(id(child), node.name)
    return owner


def sql_in(tree: ast.Module, module_name: str) -> list[tuple[int, str, str]]:
    """(line, function or '<module>', what) for each piece of SQL or model import in a module's AST."""
    skipped = _type_checking_only(tree)
    owner = _enclosing_functions(tree)
    found = []

    def note(node: ast.AST, what: str) -> None:
        found.append((node.lineno, owner.get(id(node), "<module>"), what))

    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Attribute):
            if node.attr == "session" and isinstance(node.value, ast.Name) and node.value.id == "db":
                note(node, "db.session")
            elif node.attr == "query":
                note(node, ".query")
            elif node.attr in OR_404:
                note(node, node.attr)
            elif node.attr == "engine" and isinstance(node.value, ast.Name) and node.value.id == "db":
                note(node, "db.engine")
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if called == "select":
                note(node, "select(")
            elif called == "execute":
                note(node, ".execute(")
            elif called in OR_404:
                note(node, called)
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = importlib.util.resolve_name("." * node.level + node.module, module_name.rpartition(".")[0]) \
                if node.level else node.module
            for alias in node.names:
                if base == "ivr.extensions" and alias.name == "db":
                    note(node, "imports db")
                elif base == "ivr" and alias.name == "models":
                    note(node, "imports ivr.models")
                elif base == "sqlalchemy" and alias.name in SQL_BUILDERS:
                    note(node, f"imports sqlalchemy.{alias.name}")
                elif _is_models_module(base) and _is_mapped_model(base, alias.name):
                    note(node, f"imports the model {alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if _is_models_module(alias.name):
                    note(node, f"imports {alias.name}")
    return sorted(found)


def _is_models_module(name: str) -> bool:
    """ivr.models, ivr.models.X, or a feature's models (ivr.shares.models, ...)."""
    return name == "ivr.models" or name.startswith("ivr.models.") or (name.startswith("ivr.") and name.endswith(".models"))


def test_every_view_module_is_found(tmp_path):
    """The AST discovery finds the module of every view the app serves (so nothing escapes the check)."""
    app = create_app(base_config(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path}/views.db"))
    found = view_modules()
    served = {(fn.__module__, fn.__name__) for endpoint, fn in app.view_functions.items() if endpoint != "static"}
    missing = {(module, name) for module, name in served if name not in found.get(module, (None, None, []))[2]}
    assert served and not missing, f"views the AST walk did not find: {sorted(missing)}"


def test_views_run_no_sql():
    """No view module builds a query, touches db.session or imports a model: it calls its feature."""
    problems = [f"{path.relative_to(ROOT)}:{line} {function}: {what}"
                for name, (path, tree, _) in sorted(view_modules().items())
                for line, function, what in sql_in(tree, name)]
    assert not problems, "views with SQL of their own:\n" + "\n".join(problems)


def test_the_check_sees_sql():
    """The walker itself catches each forbidden shape (else an empty result proves nothing)."""
    source = '''
from ivr.extensions import db
from ivr.shares.models import Share
from ivr import models
from sqlalchemy import select
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    from ivr.stories.models import Story

@bp.get("/x/<int:id>")
def view(id):
    db.session.commit()
    Share.query.filter_by(id=id)
    db.get_or_404(Share, id)
    conn.execute("SELECT 1")
    return db.select(Share)
'''
    whats = {what for _, _, what in sql_in(ast.parse(source), "ivr.fake")}
    assert whats == {"imports db", "imports the model Share", "imports ivr.models", "imports sqlalchemy.select",
                     "db.session", ".query", "get_or_404", ".execute(", "select("}
    assert _route_functions(ast.parse(source))[0].name == "view"
