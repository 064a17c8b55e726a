"""The dbt-duckdb plugin of the `dev` target (profiles.yml `plugins`). Three jobs:

DuckDB's memory settings. USER_ASSETS_DUCKDB_MEMORY_LIMIT is the most memory the build may use;
orchestration/settings.py duckdb_memory_settings derives DuckDB's memory_limit (a share of it: the
rest is kept for memory outside DuckDB's buffer pool), and it is given to the DuckDB instance
when the file is opened (docs/memory.md). Not in the profile's `settings`, which dbt-duckdb SETs
again on every cursor.

The PII salt. It is read here, in Python, and given to every DuckDB cursor dbt uses as the
variable `user_assets_pii_salt` (a bound parameter), which macros/pii/hash_identifier.sql reads
with getvariable(). Jinja never sees the value, so it is in no compiled SQL, no dbt artifact
(partial_parse.msgpack keeps the values of the env_var() calls it parsed), no log and no docs.
DuckDB folds the variable into a constant when it plans a query: hashing runs at native speed.
A model that hashes must be a table: a view would store getvariable(), which a reader lacks.

Opening the file. DuckDB lets one process write a file, or any number read it. A BI tool holding
a read-only connection, or a path in a folder that does not exist, used to leave `dbt build`
silent for eight minutes (dbt-duckdb's `retries` back off and retry every connection) before a
traceback. Here the file is opened first: a missing folder fails at once, a held lock is waited
for (`lock_wait_seconds`, saying so) and then fails, with a message naming the file, the holder
and what to do. The opened connection is kept until dbt-duckdb's own connect has shared the same
DuckDB instance (DuckDB caches one instance per file and configuration), so the check costs no
second open of the file and leaves no gap for another process to take the lock. (So no plugin
listed after this one may change the connection config.)
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from typing import Any

import duckdb
from dbt.adapters.duckdb.plugins import BasePlugin
from dbt.adapters.events.logging import AdapterLogger
from dbt_common.exceptions import DbtRuntimeError

from orchestration import settings

SALT_VARIABLE = "user_assets_pii_salt"
DEFAULT_LOCK_WAIT_SECONDS = 5.0

logger = AdapterLogger("user_asset_warehouse")
_warned_default_salt = threading.Event()


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self._lock_wait_seconds = float(plugin_config.get("lock_wait_seconds", DEFAULT_LOCK_WAIT_SECONDS))
        self._opened: duckdb.DuckDBPyConnection | None = None
        self._gave_up = False
        if settings.pii_salt_is_default() and not _warned_default_salt.is_set():
            _warned_default_salt.set()
            logger.warning(
                f"WARNING: {settings.DEFAULT_PII_SALT_NOTE} Identifiers hashed with it can be reversed "
                "by anyone with a phone book: set USER_ASSETS_PII_SALT to a secret before loading real data."
            )

    def update_connection_config(self, creds: Any, config: dict[str, Any]) -> None:
        """Runs just before dbt-duckdb connects: give DuckDB its memory settings, open the file here,
        or fail with a clear message."""
        try:
            config.update(settings.duckdb_memory_settings())
        except ValueError as bad:
            raise DbtRuntimeError(str(bad)) from None
        if self._opened is not None or not is_local_file(creds.path):
            return
        # After one full wait in this run, later connections try once: dbt opens the file for
        # every batch of nodes, and waiting again each time is how eight silent minutes happened.
        wait = 0.0 if self._gave_up else self._lock_wait_seconds
        try:
            self._opened = open_database(Path(creds.path), config, wait)
        except DbtRuntimeError:
            self._gave_up = True
            raise

    def configure_connection(self, conn: duckdb.DuckDBPyConnection) -> None:
        # dbt-duckdb's connection now holds the instance: the one opened above may go.
        if self._opened is not None:
            self._opened.close()
            self._opened = None
        set_pii_salt(conn)

    def configure_cursor(self, cursor: duckdb.DuckDBPyConnection) -> None:
        # Variables belong to one DuckDB connection, and every dbt thread gets a cursor of its own.
        set_pii_salt(cursor)


def set_pii_salt(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(f"set variable {SALT_VARIABLE} = ?", [settings.pii_salt()])


def is_local_file(path: str) -> bool:
    return path != ":memory:" and not re.match(r"^[a-z][a-z0-9+]*:", path)


def open_database(path: Path, config: dict[str, Any], wait_seconds: float) -> duckdb.DuckDBPyConnection:
    """A read-write connection to `path`, waiting up to `wait_seconds` for another process's lock."""
    if not path.parent.is_dir():
        raise DbtRuntimeError(
            f"The DuckDB file {path} cannot be created: its folder {path.parent} does not exist. "
            "Create the folder, or point USER_ASSETS_DUCKDB_PATH at a file in an existing one."
        )
    deadline = time.monotonic() + wait_seconds
    said_waiting = False
    while True:
        try:
            return duckdb.connect(str(path), read_only=False, config=config)
        except duckdb.IOException as error:
            holder = lock_holder(str(error))
            if holder is None:
                raise DbtRuntimeError(f"Cannot open the DuckDB file {path}: {error}") from None
            if time.monotonic() >= deadline:
                raise DbtRuntimeError(lock_message(path, holder, wait_seconds)) from None
            if not said_waiting:
                said_waiting = True
                logger.info(f"Waiting up to {wait_seconds:.0f} s for {holder} to release the DuckDB file {path}.")
            time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))


def lock_holder(error: str) -> str | None:
    """Who holds the lock, from DuckDB's error text; None when the error is not a lock."""
    if "Could not set lock" not in error:
        return None
    pid = re.search(r"\(PID (\d+)\)", error)
    program = re.search(r"lock is held in (.+?) \(PID", error)
    if pid is None:
        return "another process"
    return f"{program.group(1) if program else 'process'} (PID {pid.group(1)})"


def lock_message(path: Path, holder: str, waited: float) -> str:
    return (
        f"The DuckDB file {path} is held by {holder}"
        + (f" (waited {waited:.0f} s)" if waited else "")
        + ": DuckDB lets one process write a file only when no other process has it open, even read-only. "
        "Close that connection (e.g. quit the BI tool or notebook, or `kill` the process) and run again. "
        "BI tools should read the copy `make publish` writes to serving/, never the file dbt builds."
    )
