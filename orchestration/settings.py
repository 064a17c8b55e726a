"""Where things live, from the environment with safe defaults (the same names dbt's profiles.yml reads).

Relative paths resolve against the repository root, which is where make, dbt and Dagster run.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_PII_SALT_NOTE = "USER_ASSETS_PII_SALT is not set: the public development salt is in use."
# The salt is read here only, never by dbt's Jinja (macros/pii/hash_identifier.sql explains how it
# reaches DuckDB and Spark).
DEFAULT_PII_SALT = "user-asset-warehouse-development-salt"


def _resolve(value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else PROJECT_DIR / path


def raw_dir() -> Path:
    """Root of the raw landing folder (SPEC section 2)."""
    return _resolve(os.environ.get("USER_ASSETS_RAW_DIR", "data/raw"))


def truth_dir() -> Path:
    """The simulator's ground truth, beside the raw folder unless USER_ASSETS_TRUTH_DIR says otherwise."""
    explicit = os.environ.get("USER_ASSETS_TRUTH_DIR")
    return _resolve(explicit) if explicit else raw_dir().parent / "truth"


RAW_MODES = ("production", "demo")


def raw_mode() -> str:
    """USER_ASSETS_RAW_MODE: `production` (the default) never writes or deletes raw files; `demo`
    lets the Dagster raw landing run the simulator (docs/safety.md)."""
    mode = os.environ.get("USER_ASSETS_RAW_MODE") or "production"
    if mode not in RAW_MODES:
        raise ValueError(
            f"USER_ASSETS_RAW_MODE={mode!r} is not a mode: use 'production' (the default: raw files arrive "
            "on their own and are never written or deleted) or 'demo' (the simulator lands the sample)."
        )
    return mode


EVENTS_FORMATS = ("contract", "sensors", "segment", "table")


def events_format() -> str:
    """The events' format (docs/event-formats.md), as dbt reads it from USER_ASSETS_EVENTS_FORMAT
    (macros/raw/event_formats.sql); `make build`, `make demo` and `make validate` set it from FORMAT."""
    chosen = (os.environ.get("USER_ASSETS_EVENTS_FORMAT") or "contract").strip()
    if chosen not in EVENTS_FORMATS:
        raise SystemExit(f"USER_ASSETS_EVENTS_FORMAT is '{chosen}': choose one of {', '.join(EVENTS_FORMATS)}")
    return chosen


def duckdb_path() -> Path:
    """The DuckDB file dbt builds into."""
    return _resolve(os.environ.get("USER_ASSETS_DUCKDB_PATH", "warehouse.duckdb"))


def duckdb_temp_dir(database: Path | None = None) -> Path:
    """The folder DuckDB spills to when a query outgrows USER_ASSETS_DUCKDB_MEMORY_LIMIT (profiles.yml
    `temp_directory`): USER_ASSETS_DUCKDB_TEMP_DIR, else the folder beside the DuckDB file, named after
    it (warehouse.duckdb.tmp). Given `database`, the folder beside that file."""
    explicit = os.environ.get("USER_ASSETS_DUCKDB_TEMP_DIR")
    if database is None and explicit:
        return _resolve(explicit)
    database = database or duckdb_path()
    return database.with_name(database.name + ".tmp")


# ------------------------------------------------------------------ memory (docs/memory.md)
MEMORY_LIMIT_SETTING = "USER_ASSETS_DUCKDB_MEMORY_LIMIT"
DEFAULT_MEMORY_BUDGET = "8GB"
# Every unit DuckDB's memory_limit reads (K, M, G, T and their -B and -bytes spellings are powers of
# 1000; KiB, MiB, GiB and TiB powers of 1024), case-insensitive.
SIZE_UNITS = {
    "b": 1,
    "byte": 1,
    "bytes": 1,
    **{
        spelling: 10 ** (3 * power)
        for power, prefix in enumerate(("k", "m", "g", "t"), start=1)
        for spelling in (prefix, prefix + "b", {"k": "kilo", "m": "mega", "g": "giga", "t": "tera"}[prefix] + "bytes")
    },
    **{prefix + "ib": 2 ** (10 * power) for power, prefix in enumerate(("k", "m", "g", "t"), start=1)},
}
# The budget is the most memory the build's process may hold. DuckDB's memory_limit caps its buffer
# pool, not the process: beside it are the Python process with dbt and its manifest (fixed), and
# what DuckDB and its allocator hold outside the pool, which grows with the pool (measured in
# docs/memory.md). So budget = fixed + limit x (1 + share), and DuckDB gets the limit.
MEMORY_RESERVE_FIXED_BYTES = 600 * 2**20
MEMORY_RESERVE_SHARE = 0.5
MIN_DUCKDB_MEMORY_BYTES = 128 * 2**20


def memory_budget_bytes(text: str) -> int:
    """A size as DuckDB reads it ('16GB' = 16 x 10^9 bytes, '16GiB' = 16 x 2^30), in bytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]+)\s*", text)  # not -1: a budget has a size
    if not match or match.group(2).lower() not in SIZE_UNITS or float(match.group(1)) <= 0:
        raise ValueError(
            f"{MEMORY_LIMIT_SETTING}={text!r} is not a size: give the most memory the build may use, "
            "e.g. 16GB (16 x 10^9 bytes) or 16GiB (16 x 2^30 bytes)."
        )
    return round(float(match.group(1)) * SIZE_UNITS[match.group(2).lower()])


def memory_budget() -> str:
    """USER_ASSETS_DUCKDB_MEMORY_LIMIT, the most memory a dbt command may use (8GB unless set)."""
    return os.environ.get(MEMORY_LIMIT_SETTING) or DEFAULT_MEMORY_BUDGET


def duckdb_memory_settings(budget: str | None = None) -> dict[str, str]:
    """DuckDB's settings for a build that must stay within `budget` (by default
    USER_ASSETS_DUCKDB_MEMORY_LIMIT): memory_limit, the part of it DuckDB's buffer pool may use (no other
    setting measurably lowered the peak: docs/memory.md). The duckdb plugin gives them to the DuckDB
    instance when dbt opens the file (orchestration/duckdb_plugin.py). docs/memory.md measures them."""
    text = memory_budget() if budget is None else budget
    total = memory_budget_bytes(text)
    limit = int((total - MEMORY_RESERVE_FIXED_BYTES) / (1 + MEMORY_RESERVE_SHARE))
    if limit < MIN_DUCKDB_MEMORY_BYTES:
        least = MEMORY_RESERVE_FIXED_BYTES + MIN_DUCKDB_MEMORY_BYTES * (1 + MEMORY_RESERVE_SHARE)
        raise ValueError(
            f"{MEMORY_LIMIT_SETTING}={text!r} is too little for a build: give at least {least / 10**6:,.0f}MB "
            "(the dbt process needs about 600 MB beside DuckDB: Python, dbt, the Python models' data frames), "
            "e.g. 16GB."
        )
    return {"memory_limit": f"{limit // 2**20}MiB"}


def pii_salt_is_default() -> bool:
    return not os.environ.get("USER_ASSETS_PII_SALT")


# Spark substitutes ${env:USER_ASSETS_PII_SALT} into the SQL text before parsing it
# (orchestration/spark_dbt.py): a quote would end the literal (and Spark's parse error would print
# the statement, salt included), a backslash is unescaped and ${ substituted again, so keys would
# differ from DuckDB's. The salt is kept to characters that mean nothing there, on both engines.
UNSAFE_SALT_CHARACTERS = ("'", '"', "\\", "${", "\n", "\r")


class UnsafeSaltError(ValueError):
    """USER_ASSETS_PII_SALT holds a character the SQL engines would interpret."""


def pii_salt() -> str:
    salt = os.environ.get("USER_ASSETS_PII_SALT") or DEFAULT_PII_SALT
    if any(bad in salt for bad in UNSAFE_SALT_CHARACTERS):
        # The message names the setting, never the value.
        raise UnsafeSaltError(
            "USER_ASSETS_PII_SALT contains a quote, backslash, line break or '${', which Spark's SQL"
            " substitution would interpret (different keys, or the salt printed in an error). Choose a"
            " salt of letters, digits and punctuation such as -_.:+/=, e.g. from `openssl rand -base64 32`."
        )
    return salt
