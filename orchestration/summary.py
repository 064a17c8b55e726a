"""Print what a build produced: rows per layer and model, raw lines by fate, rejects by reason;
and draw the same build's pictures into reports/summary.html (orchestration/report_html.py).

usage: python -m orchestration.summary [--database PATH] [--html FILE]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

from orchestration import report_html, safe_paths, settings

# Each raw source, the base model that holds every one of its lines, and its rejects model.
RAW_SOURCES = {
    "events": "base_tracking__event_lines",
    "orders": "base_oms__order_lines",
    "crm_members": "base_crm__member_lines",
    "campaign_touches": "base_marketing__campaign_touch_lines",
    "erasure_requests": "base_privacy__erasure_request_lines",
}
LAYER_ORDER = ["reference", "staging", "intermediate", "marts", "snapshots", "audit"]


def line_fates(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, int, int, int]]:
    """(source, lines, accepted, rejected, duplicates) per raw source."""
    rows = []
    for source, model in RAW_SOURCES.items():
        counts = con.execute(
            f"""
            select
                count(*),
                count(*) filter (where line_status = 'accepted'),
                count(*) filter (where line_status = 'rejected'),
                count(*) filter (where line_status = 'duplicate')
            from staging.{model}
            """
        ).fetchone()
        rows.append((source, *counts))
    return rows


def rejects_by_reason(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    parts = [
        f"select '{source}' as source, reject_reason, count(*) as n from staging.{model} "
        f"where line_status = 'rejected' group by 1, 2"
        for source, model in RAW_SOURCES.items()
    ]
    return con.execute(" union all ".join(parts) + " order by 1, 3 desc, 2").fetchall()


def tables_by_layer(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    tables = con.execute(
        """
        select table_schema, table_name
        from information_schema.tables
        where table_catalog = current_database() and table_schema not in ('information_schema', 'pg_catalog')
        order by table_schema, table_name
        """
    ).fetchall()
    result = []
    for schema, table in tables:
        (count,) = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()
        result.append((schema, table, count))
    return result


def inventory(con: duckdb.DuckDBPyConnection, shown: int = 5) -> list[str]:
    """The data-asset inventory's tiers and its top and bottom assets by value score."""
    (built,) = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'marts' and table_name = 'dim_data_assets'"
    ).fetchone()
    if not built:
        return []
    rows = con.execute(
        """
        select asset_name, layer, owner, connectivity_score, flow_score, contribution_score, value_score, value_tier
        from marts.dim_data_assets
        order by value_score desc, asset_name
        """
    ).fetchall()
    tiers = {tier: sum(1 for row in rows if row[7] == tier) for tier in ("high", "medium", "low")}
    out = [
        f"Data-asset inventory: {len(rows)} assets (value tier high {tiers['high']}, medium {tiers['medium']},"
        f" low {tiers['low']}); marts.dim_data_assets",
        f"  {'asset':<40}{'layer':<14}{'owner':<18}{'conn':>6}{'flow':>6}{'contr':>6}{'value':>7}",
    ]
    for label, part in (("top", rows[:shown]), ("bottom", rows[-shown:])):
        out.append(f"  -- {label} {shown}")
        for name, layer, owner, connectivity, flow, contribution, value, _ in part:
            out.append(
                f"  {name:<40}{layer:<14}{owner:<18}{connectivity:>6.1f}{flow:>6.1f}{contribution:>6.1f}{value:>7.1f}"
            )
    return out


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def open_ended_data(con: duckdb.DuckDBPyConnection, shown: int = 10) -> list[str]:
    """Optional sources without records (what they would add is not applicable) and values no
    reference seed lists (kept under their own code; add them to the seed to name them)."""
    out: list[str] = []
    if _has_table(con, "intermediate", "int_raw_sources_landed"):
        absent = [
            source
            for (source,) in con.execute(
                "select raw_source from intermediate.int_raw_sources_landed where not has_accepted_records order by 1"
            ).fetchall()
        ]
        if absent:
            out.append(
                f"Sources without records: {', '.join(absent)}; the tags and profile fields they feed are"
                " not applicable (marts.fct_user_asset_coverage.is_applicable)"
            )
    if _has_table(con, "marts", "fct_unlisted_reference_values"):
        rows = con.execute(
            "select reference_seed, source_model || '.' || source_column, unlisted_value, row_count"
            " from marts.fct_unlisted_reference_values order by row_count desc, 3"
        ).fetchall()
        if rows:
            out.append(
                f"Values no reference seed lists: {len(rows)}, kept under their own code (name them in the seed)"
            )
            for seed, column, value, count in rows[:shown]:
                out.append(f"  seeds/*/{seed}.csv  {value!r:<30} in {column:<36}{count:>10,} rows")
    if out:
        out.append("")
    return out


def render(database: Path) -> str:
    out: list[str] = []
    with duckdb.connect(str(database), read_only=True) as con:
        tables = tables_by_layer(con)
        out.append(f"Warehouse: {database}")
        out.append("")
        out.append("Rows per layer")
        layers = sorted({t[0] for t in tables}, key=lambda s: [*LAYER_ORDER, s].index(s))
        for layer in layers:
            in_layer = [t for t in tables if t[0] == layer]
            out.append(f"  {layer:<14}{len(in_layer):>4} relations {sum(t[2] for t in in_layer):>14,} rows")
            for _, table, count in in_layer:
                out.append(f"      {table:<46}{count:>14,}")
        out.append("")
        out.append("Raw lines by fate (lines = accepted + rejected + duplicates)")
        out.append(f"  {'source':<18}{'lines':>12}{'accepted':>12}{'rejected':>10}{'duplicates':>12}")
        for source, lines, accepted, rejected, duplicates in line_fates(con):
            out.append(f"  {source:<18}{lines:>12,}{accepted:>12,}{rejected:>10,}{duplicates:>12,}")
        out.append("")
        out.append("Rejects by reason")
        for source, reason, n in rejects_by_reason(con):
            out.append(f"  {source:<18}{reason:<28}{n:>10,}")
        out.append("")
        out.extend(open_ended_data(con))
        out.extend(inventory(con))
    out.append("")
    if settings.pii_salt_is_default():
        out.append(f"Note: {settings.DEFAULT_PII_SALT_NOTE}")
    out.append("Next: `make docs` for dbt docs; query the tables above with DuckDB (read-only).")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", type=Path, default=settings.duckdb_path())
    parser.add_argument(
        "--html", type=Path, default=report_html.REPORTS_DIR / "summary.html", help="where the HTML report goes"
    )
    args = parser.parse_args(argv)
    if not args.database.exists():
        print(f"No warehouse at {args.database}: run `make build` (or `make demo`) first.", file=sys.stderr)
        return 1
    print(render(args.database))
    try:
        print(f"Charts: {report_html.summary_report(args.database, args.html)}")
    except safe_paths.NotOurs as refused:
        print(refused, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
