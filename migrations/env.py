"""Alembic environment: async engines, batch mode on SQLite, the app's full metadata."""

import asyncio
from logging.config import fileConfig

from alembic import context
from typing import Any, Literal

from sqlalchemy import Connection, event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.sql.sqltypes import AutoString

import app.models  # noqa: F401 - registers every table
from app.core.config import Settings
from app.core.db import ExactDecimal, UTCDateTime, create_engine, metadata
from app.core.search import outside_the_models

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _database_url() -> str:
    return config.get_main_option("sqlalchemy.url") or Settings().database_url


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Render our column types as plain SQLAlchemy ones, so migrations never import app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, ExactDecimal):
        return f"sa.Numeric(precision={obj.precision}, scale={obj.scale})"
    if type_ == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        compare_server_default=True,
        render_item=_render_item,
        include_object=outside_the_models,
    )


def run_migrations_offline() -> None:
    url = _database_url()
    context.configure(url=url, target_metadata=metadata, literal_binds=True,
                      render_as_batch=url.startswith("sqlite"),
                      dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def _run_on(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()
        if connection.dialect.name == "sqlite":
            _ensure_foreign_keys_hold(connection)


def _foreign_keys_off(engine: AsyncEngine) -> None:
    """A batch migration rebuilds a SQLite table: it copies it, drops the original and
    renames the copy. Dropping a table that other rows reference fails while foreign keys
    are enforced (Alembic's batch docs: the pragma must be off), and SQLite ignores the
    pragma inside a transaction, so it is turned off as each connection opens (after the
    engine's own hook turned it on). `_ensure_foreign_keys_hold` checks them afterwards."""

    @event.listens_for(engine.sync_engine, "connect")
    def _off(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=OFF")
        cursor.close()


def _ensure_foreign_keys_hold(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        raise RuntimeError(f"the migration left rows whose foreign keys point nowhere "
                           f"(table, rowid, parent, key): {broken[:20]}")


async def _run_async() -> None:
    engine = create_engine(Settings(database_url=_database_url()))
    if engine.dialect.name == "sqlite":
        _foreign_keys_off(engine)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_on)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    # Tests and the app pass an open connection; the CLI lets us build the engine.
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
    else:
        asyncio.run(_run_async())


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
