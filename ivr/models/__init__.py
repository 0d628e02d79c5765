"""Shared model helpers (base.py) and models no feature owns (guesses.py).

Each feature package owns its models (ivr/calls/models.py, ivr/shares/models.py, ...);
ivr/schema.py loads them all for Alembic and the app factory.
"""
