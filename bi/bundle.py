"""Zip the dashboards kept as code (bi/dashboards/, Superset's import format) into import bundles.

bi/dashboards/ holds what `superset export-dashboards` would write, as YAML under review in git:
metadata.yaml, databases/, datasets/<database>/<mart>.yaml, charts/<dashboard>/, dashboards/.
Two things are filled in here, at import time, because they belong to the machine and the build,
not to the repository:

- the database's `__SERVING_FILE__`: the absolute path of the serving copy (`make publish`), opened
  read-only (`access_mode=read_only`) with DuckDB's access to other files turned off;
- each dataset's columns with their types and descriptions, and the table's description: read from
  the serving copy, which carries the dbt descriptions as comments (persist_docs, copied by
  orchestration/serving.py; timestamps say UTC). Superset reads column comments only when a user
  syncs a dataset's columns, and never the table's comment.

The zip is what Superset's "Import dashboard" takes; bi/superset_import.py imports every dataset
in it, also those no chart uses yet (dim_persons, for SQL Lab and new charts).

usage: python -m bi.bundle OUT_DIR   (prints the zip's path)
"""

from __future__ import annotations

import hashlib
import io
import sys
import zipfile
from pathlib import Path

import duckdb
import yaml

from orchestration import serving

ASSETS = Path(__file__).resolve().parent / "dashboards"
SERVING_PLACEHOLDER = "__SERVING_FILE__"
TEMPORAL_TYPES = ("DATE", "TIMESTAMP")
BUNDLE_ROOT = "dashboards"


class BundleError(RuntimeError):
    """The bundle cannot be made; the message names the file at fault and what to do."""


def serving_file() -> Path:
    return serving.serving_dir() / serving.SERVING_FILE


def load_assets(assets: Path = ASSETS) -> dict[str, dict]:
    """Every YAML file under `assets`, by its path relative to it."""
    return {
        path.relative_to(assets).as_posix(): yaml.safe_load(path.read_text()) for path in sorted(assets.rglob("*.yaml"))
    }


def mart_docs(database: Path) -> dict[str, tuple[str | None, list[tuple[str, str, str | None]]]]:
    """Per mart of the serving copy: its comment and its (column, type, comment) in order."""
    if not database.exists():
        raise BundleError(f"the serving copy {database} does not exist: run `make demo`, then `make publish`.")
    with duckdb.connect(str(database), read_only=True) as con:
        tables = dict(
            con.execute(
                "select table_name, comment from duckdb_tables() where schema_name = ?", [serving.MARTS_SCHEMA]
            ).fetchall()
        )
        docs: dict[str, tuple[str | None, list[tuple[str, str, str | None]]]] = {
            name: (comment, []) for name, comment in tables.items()
        }
        for table, column, data_type, comment in con.execute(
            "select table_name, column_name, data_type, comment from duckdb_columns()"
            " where schema_name = ? order by table_name, column_index",
            [serving.MARTS_SCHEMA],
        ).fetchall():
            if table in docs:
                docs[table][1].append((column, data_type, comment))
    return docs


def fill_dataset(dataset: dict, docs: dict) -> dict:
    """The dataset with the mart's columns and descriptions from the serving copy."""
    name = dataset["table_name"]
    if name not in docs:
        raise BundleError(
            f"bi/dashboards: dataset {name} is not a table of schema marts in {serving_file()}:"
            " publish a build that has it (`make build`, then `make publish`), or fix the dataset's table_name."
        )
    comment, columns = docs[name]
    filled = dict(dataset)
    filled["description"] = dataset.get("description") or comment
    filled["columns"] = [
        {
            "column_name": column,
            "verbose_name": None,
            "is_dttm": data_type.upper().startswith(TEMPORAL_TYPES),
            "is_active": True,
            "type": data_type,
            "advanced_data_type": None,
            "groupby": True,
            "filterable": True,
            "expression": None,
            "description": column_comment,
            "python_date_format": None,
            "extra": None,
        }
        for column, data_type, column_comment in columns
    ]
    if not filled.get("main_dttm_col"):
        filled["main_dttm_col"] = next((c["column_name"] for c in filled["columns"] if c["is_dttm"]), None)
    return filled


def fill_database(database: dict, path: Path) -> dict:
    filled = dict(database)
    filled["sqlalchemy_uri"] = database["sqlalchemy_uri"].replace(SERVING_PLACEHOLDER, str(path.absolute()))
    return filled


def bundle(out_dir: Path, assets: Path = ASSETS, database: Path | None = None) -> tuple[Path, str]:
    """Write dashboards.zip (what Superset's "Import dashboard" takes) into `out_dir`; returns its
    path and a digest of its content (bi/serve.py does not import the same content twice)."""
    database = database or serving_file()
    docs = mart_docs(database)
    digest = hashlib.sha256()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in load_assets(assets).items():
            if name.startswith("databases/"):
                content = fill_database(content, database)
            elif name.startswith("datasets/"):
                content = fill_dataset(content, docs)
            text = yaml.safe_dump(content, sort_keys=False, allow_unicode=True)
            archive.writestr(f"{BUNDLE_ROOT}/{name}", text)
            digest.update(f"{name}\n{text}".encode())
    path = out_dir / f"{BUNDLE_ROOT}.zip"
    path.write_bytes(buffer.getvalue())
    return path, digest.hexdigest()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    out_dir = Path(args[0])
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        path, _ = bundle(out_dir)
    except BundleError as error:
        print(error, file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
