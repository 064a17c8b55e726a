"""Where things live, from the environment with safe defaults (the same names dbt's profiles.yml reads).

Relative paths resolve against the repository root, which is where make, dbt and Dagster run.
"""

from __future__ import annotations

import os
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


def duckdb_path() -> Path:
    """The DuckDB file dbt builds into."""
    return _resolve(os.environ.get("USER_ASSETS_DUCKDB_PATH", "warehouse.duckdb"))


def pii_salt_is_default() -> bool:
    return not os.environ.get("USER_ASSETS_PII_SALT")


def pii_salt() -> str:
    return os.environ.get("USER_ASSETS_PII_SALT") or DEFAULT_PII_SALT
