import logging
from logging.config import fileConfig

from flask import current_app

from alembic import context
from alembic.util import CommandError

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging.
# This line sets up loggers basically.
# Keep the application's logging: only configure from alembic.ini when run standalone.
if not logging.getLogger().handlers:
    fileConfig(config.config_file_name)
logger = logging.getLogger('alembic.env')


def get_engine():
    return current_app.extensions['migrate'].db.engine


def get_engine_url():
    try:
        return get_engine().url.render_as_string(hide_password=False).replace(
            '%', '%%')
    except AttributeError:
        return str(get_engine().url).replace('%', '%%')


# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
config.set_main_option('sqlalchemy.url', get_engine_url())
import ivr.schema  # noqa: E402,F401  (every model's table on the metadata)
target_db = current_app.extensions['migrate'].db

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


# The revisions squashed into 0001_initial on 2026-12-01 (nothing was deployed). A database still
# stamped with one of them cannot be upgraded by this history: say what to do instead of Alembic's
# "Can't locate revision".
SQUASHED_INTO = "0001_initial"
RETIRED_HEAD = "0011_hardening"
RETIRED = {
    "0001_spine", "0002_shares", "0003_circles", "0004_staff", "0005_workers", "0006_merge",
    "0007_moderator_tier", "0008_caller_silences", "0009_helped_once", "0010_replies", RETIRED_HEAD,
}


def refuse_retired_revisions(heads):
    """Stop with what to run when the database was migrated by the squashed chain (stamp, or start afresh)."""
    old = sorted(set(heads) & RETIRED)
    if not old:
        return
    if old == [RETIRED_HEAD]:
        raise CommandError(
            f"this database was migrated by Peerline's old migrations (at {RETIRED_HEAD}), since squashed "
            f"into {SQUASHED_INTO} with the same schema. Run `peerline db stamp --purge {SQUASHED_INTO}` "
            "once, then `peerline db upgrade`.")
    raise CommandError(
        f"this database is at {', '.join(old)}, a revision from before Peerline's migrations were squashed "
        f"into {SQUASHED_INTO}, and older than {RETIRED_HEAD}. Nothing was deployed then: delete the database "
        "(for SQLite, its file) and run `peerline db upgrade` to create it afresh.")


def get_metadata():
    if hasattr(target_db, 'metadatas'):
        return target_db.metadatas[None]
    return target_db.metadata


def run_migrations_offline():
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url, target_metadata=get_metadata(), literal_binds=True
    )

    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, 'autogenerate', False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info('No changes in schema detected.')

    conf_args = current_app.extensions['migrate'].configure_args
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    connectable = get_engine()

    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=get_metadata(),
            **conf_args
        )

        migration_context = context.get_context()
        if not migration_context.purge:  # `db stamp --purge` is the way out, so let it through
            refuse_retired_revisions(migration_context.get_current_heads())

        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
