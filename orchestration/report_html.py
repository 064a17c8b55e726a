"""Small self-contained HTML reports with inline SVG charts: pictures to look at beside the text
that `make summary`, `make calibrate` and `make bench` print (docs/reports.md).

- summary_report(database): reports/summary.html, identity component sizes, RFM class shares of
  the latest snapshot, the lifecycle flow between the two latest periods, rejects per reason;
- calibration_report(table, summary): reports/calibration.html, predicted against observed
  purchases by decile of the prediction (orchestration/predictions_eval.py);
- bench_report(json_path): reports/bench-<name>.html, the bench's timings, ratios against their
  targets, time per layer and slowest models from one bench/results/*.json.

Each file stands alone: no script, no stylesheet or font fetched, nothing but inline SVG, so it
opens offline and can be mailed. Every text drawn (labels, titles, values) is HTML-escaped. The
charts are drawn by the few functions below; each bar, cell and chart carries its label and value
as data- attributes, which the tests read back. reports/ is marked as generated (safe_paths), so
`make clean` may delete it; a folder holding anything else is refused, nothing written.

usage: python -m orchestration.report_html summary [--database PATH] [--out FILE]
       python -m orchestration.report_html bench JSON [--out FILE]
"""

from __future__ import annotations

import argparse
import html
import json
import math
import os
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from orchestration import safe_paths, settings

REPORTS_DIR = settings.PROJECT_DIR / "reports"
CREATOR = "orchestration/report_html.py"
COLORS = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759")
CHAR_WIDTH = 7  # px per character of the 12 px sans-serif labels, to size the label column
WIDTH = 760


def esc(value: object) -> str:
    """Any value as HTML text or attribute content."""
    return html.escape(str(value), quote=True)


def _number(value: float) -> str:
    if isinstance(value, int) or (float(value).is_integer() and abs(value) >= 100):
        return f"{value:,.0f}"
    return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.1f}"


def _ticks(top: float, count: int = 4) -> list[float]:
    """Round tick values from 0 to at least `top`."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [step * i for i in range(math.ceil(top / step) + 1)]


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str | None = None  # what is written at the bar's end; the value by default


def bar_chart(
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    x_label: str,
    y_label: str,
    texts: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """Horizontal bars, one group per category and one bar per series in it (a legend when
    there are several). A None value draws no bar and says 'not measured'."""
    names = list(series)
    values = [v for vs in series.values() for v in vs if v is not None]
    ticks = _ticks(max(values, default=0.0))
    label_width = min(300, 12 + CHAR_WIDTH * max((len(c) for c in categories), default=4))
    plot_left, plot_width = label_width + 34, WIDTH - label_width - 34 - 90
    bar_height, gap = 16, 10
    top = 44 + (18 if len(names) > 1 else 0)
    group_height = bar_height * len(names) + gap
    height = top + group_height * len(categories) + 52
    scale = plot_width / ticks[-1]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{esc(chart_id)}" data-kind="bar" '
        f'width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{esc(chart_id)}-title">',
        f'<title id="{esc(chart_id)}-title">{esc(title)}</title>',
        f'<text class="title" x="{WIDTH / 2}" y="22" text-anchor="middle">{esc(title)}</text>',
    ]
    for i, name in enumerate(names if len(names) > 1 else []):
        x = plot_left + i * 170
        parts.append(
            f'<rect x="{x}" y="34" width="12" height="12" fill="{COLORS[i % len(COLORS)]}"/>'
            f'<text class="legend" x="{x + 18}" y="45">{esc(name)}</text>'
        )
    for tick in ticks:
        x = plot_left + tick * scale
        parts.append(
            f'<line class="grid" x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 46}"/>'
            f'<text class="tick" x="{x:.1f}" y="{height - 32}" text-anchor="middle">{esc(_number(tick))}</text>'
        )
    for row, category in enumerate(categories):
        y0 = top + row * group_height
        parts.append(
            f'<text class="label" x="{plot_left - 6}" y="{y0 + group_height / 2 - gap / 2 + 4:.1f}" '
            f'text-anchor="end">{esc(category)}</text>'
        )
        for i, name in enumerate(names):
            value = series[name][row]
            y = y0 + i * bar_height
            shown = (texts or {}).get(name, [None] * len(categories))[row]
            attributes = f'data-series="{esc(name)}" data-label="{esc(category)}"'
            if value is None:
                parts.append(
                    f'<g class="bar" {attributes} data-value="">'
                    f'<text class="value" x="{plot_left + 4}" y="{y + 12}">not measured</text></g>'
                )
                continue
            w = max(value, 0) * scale
            parts.append(
                f'<g class="bar" {attributes} data-value="{esc(repr(value))}">'
                f"<title>{esc(category)} ({esc(name)}): {esc(shown or _number(value))}</title>"
                f'<rect x="{plot_left}" y="{y + 1}" width="{w:.1f}" height="{bar_height - 2}" '
                f'fill="{COLORS[i % len(COLORS)]}"/>'
                f'<text class="value" x="{plot_left + w + 4:.1f}" y="{y + 12}">{esc(shown or _number(value))}</text>'
                "</g>"
            )
    parts += [
        f'<line class="axis" x1="{plot_left}" y1="{top - 4}" x2="{plot_left}" y2="{height - 46}"/>',
        f'<line class="axis" x1="{plot_left}" y1="{height - 46}" x2="{plot_left + plot_width}" y2="{height - 46}"/>',
        f'<text class="axis-label" x="{plot_left + plot_width / 2}" y="{height - 10}" '
        f'text-anchor="middle">{esc(x_label)}</text>',
        f'<text class="axis-label" x="14" y="{top + (height - 46 - top) / 2:.0f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {top + (height - 46 - top) / 2:.0f})">{esc(y_label)}</text>',
        "</svg>",
    ]
    return "\n".join(parts)


def bars(chart_id: str, title: str, items: Sequence[Bar], x_label: str, y_label: str, series: str = "value") -> str:
    """One series of horizontal bars."""
    return bar_chart(
        chart_id,
        title,
        [b.label for b in items],
        {series: [b.value for b in items]},
        x_label,
        y_label,
        texts={series: [b.text or _number(b.value) for b in items]},
    )


def heatmap(
    chart_id: str,
    title: str,
    rows: Sequence[str],
    columns: Sequence[str],
    cells: Mapping[tuple[str, str], float],
    row_label: str,
    column_label: str,
) -> str:
    """A table of counts, each cell shaded by its share of the largest: a flow from the row state
    to the column state. Missing cells are zero."""
    cell_w, cell_h = 86, 30
    left = min(280, 40 + CHAR_WIDTH * max((len(r) for r in rows), default=4))
    # Room above the cells for the column names, written at 30 degrees.
    top = 70 + int(0.5 * CHAR_WIDTH * min(40, max((len(c) for c in columns), default=4)))
    width = max(WIDTH, left + cell_w * len(columns) + 20)
    height = top + cell_h * len(rows) + 20
    peak = max(cells.values(), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{esc(chart_id)}" data-kind="heatmap" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{esc(chart_id)}-title">',
        f'<title id="{esc(chart_id)}-title">{esc(title)}</title>',
        f'<text class="title" x="{width / 2}" y="22" text-anchor="middle">{esc(title)}</text>',
        f'<text class="axis-label" x="{left + cell_w * len(columns) / 2}" y="46" '
        f'text-anchor="middle">{esc(column_label)}</text>',
        f'<text class="axis-label" x="14" y="{top + cell_h * len(rows) / 2:.0f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {top + cell_h * len(rows) / 2:.0f})">{esc(row_label)}</text>',
    ]
    for j, column in enumerate(columns):
        x = left + j * cell_w + cell_w / 2
        parts.append(
            f'<text class="tick" x="{x}" y="{top - 8}" text-anchor="start" '
            f'transform="rotate(-30 {x} {top - 8})">{esc(column)}</text>'
        )
    for i, row in enumerate(rows):
        y = top + i * cell_h
        parts.append(f'<text class="label" x="{left - 6}" y="{y + 19}" text-anchor="end">{esc(row)}</text>')
        for j, column in enumerate(columns):
            value = cells.get((row, column), 0)
            shade = 0.08 + 0.82 * value / peak if value else 0.0
            parts.append(
                f'<g class="cell" data-row="{esc(row)}" data-column="{esc(column)}" data-value="{esc(repr(value))}">'
                f"<title>{esc(row)} to {esc(column)}: {esc(_number(value))}</title>"
                f'<rect x="{left + j * cell_w}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" '
                f'fill="{COLORS[0]}" fill-opacity="{shade:.2f}" stroke="#ccc"/>'
                f'<text class="value{" dark" if shade > 0.5 else ""}" x="{left + j * cell_w + cell_w / 2 - 1}" '
                f'y="{y + 19}" text-anchor="middle">{esc(_number(value))}</text></g>'
            )
    parts.append("</svg>")
    return "\n".join(parts)


STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 64em;
       color: #222; padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 2em; }
p.note { color: #555; font-size: 0.9em; max-width: 52em; }
svg.chart { display: block; max-width: 100%; height: auto; font-size: 12px; }
svg .title { font-size: 14px; font-weight: 600; }
svg .axis { stroke: #333; } svg .grid { stroke: #e3e3e3; }
svg .tick, svg .axis-label, svg .legend { fill: #444; } svg .axis-label { font-weight: 600; }
svg .value { fill: #222; } svg .value.dark { fill: #fff; }
"""


@dataclass(frozen=True)
class Section:
    section_id: str
    heading: str
    chart: str | None  # None: what it draws was not built; `note` says why
    note: str = ""


def page(title: str, intro: str, sections: Sequence[Section]) -> str:
    body = [f"<h1>{esc(title)}</h1>", f'<p class="note">{esc(intro)}</p>']
    for s in sections:
        body.append(f'<section id="{esc(s.section_id)}">\n<h2>{esc(s.heading)}</h2>')
        if s.note:
            body.append(f'<p class="note">{esc(s.note)}</p>')
        if s.chart:
            body.append(s.chart)
        body.append("</section>")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{esc(title)}</title>\n'
        f"<style>{STYLE}</style>\n</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n"
    )


def write(path: Path, text: str) -> Path:
    """Write a report into a folder the project may write into (marked as generated; a folder
    holding anything else is refused by safe_paths.NotOurs), replacing the file atomically."""
    path = Path(path)
    safe_paths.claim(path.parent, CREATOR)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, suffix=".tmp", delete=False) as f:
        f.write(text)
    os.chmod(f.name, 0o644)  # a page to open and share, like any file the project writes
    os.replace(f.name, path)
    return path


# -- make summary ---------------------------------------------------------------------------------


def _has(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def _missing(section_id: str, heading: str, model: str) -> Section:
    return Section(section_id, heading, None, f"{model} is not in this warehouse: run `make build` first.")


def identity_section(con: duckdb.DuckDBPyConnection) -> Section:
    heading = "Identity: persons by component size"
    if not _has(con, "marts", "fct_identity_graph_health"):
        return _missing("identity-components", heading, "marts.fct_identity_graph_health")
    rows = con.execute(
        "select metric, metric_value from marts.fct_identity_graph_health"
        " where metric_group = 'component_size' order by metric"
    ).fetchall()
    chart = bars(
        "chart-identity-components",
        "Persons by number of identifiers resolved to them",
        [Bar(size, count) for size, count in rows],
        "persons",
        "identifiers per person",
    )
    note = (
        f"{sum(n for _, n in rows):,} persons. A large component may be a wrong merge: see"
        " marts.fct_identity_graph_health (largest components) and marts.fct_identity_quarantined_edges."
    )
    return Section("identity-components", heading, chart, note)


def rfm_section(con: duckdb.DuckDBPyConnection) -> Section:
    heading = "RFM classes of the latest snapshot"
    if not _has(con, "marts", "rpt_rfm_class_summary"):
        return _missing("rfm-classes", heading, "marts.rpt_rfm_class_summary")
    rows = con.execute(
        "select snapshot_date, rfm_class, rfm_class_name_en, person_count, person_share"
        " from marts.rpt_rfm_class_summary"
        " where snapshot_date = (select max(snapshot_date) from marts.rpt_rfm_class_summary)"
        " order by person_count desc, rfm_class"
    ).fetchall()
    if not rows:
        return Section("rfm-classes", heading, None, "marts.rpt_rfm_class_summary has no snapshot yet.")
    snapshot = rows[0][0]
    chart = bars(
        "chart-rfm-classes",
        f"Persons per RFM class on {snapshot}",
        [Bar(f"{name} ({code})", count, f"{count:,} ({share:.1%})") for _, code, name, count, share in rows],
        "persons (share of the snapshot)",
        "RFM class",
    )
    note = f"{sum(r[3] for r in rows):,} persons seen by {snapshot}; `prospect`: no paid order yet."
    return Section("rfm-classes", heading, chart, note)


def lifecycle_section(con: duckdb.DuckDBPyConnection) -> Section:
    heading = "Lifecycle flow between the two latest periods"
    if not _has(con, "marts", "fct_state_migration_matrix"):
        return _missing("lifecycle-flow", heading, "marts.fct_state_migration_matrix")
    rows = con.execute(
        """
        with lifecycle as (
            select * from marts.fct_state_migration_matrix where state_model = 'lifecycle_stage'
        )
        select
            period_end,
            (select max(period_end) from lifecycle as p where p.period_end < l.period_end),
            from_state,
            to_state,
            person_count
        from lifecycle as l
        where period_end = (select max(period_end) from lifecycle)
        """
    ).fetchall()
    if not rows:
        return Section("lifecycle-flow", heading, None, "marts.fct_state_migration_matrix has no period yet.")
    latest, previous = rows[0][0], rows[0][1]
    order = [
        "none",
        "new",
        "active",
        "reactivated_from_dormant",
        "reactivated_from_churned",
        "dormant",
        "churned",
    ]
    rank = {state: i for i, state in enumerate(order)}
    states = {r[2] for r in rows}, {r[3] for r in rows}
    from_states, to_states = (sorted(s, key=lambda v: (rank.get(v, len(order)), v)) for s in states)
    chart = heatmap(
        "chart-lifecycle-flow",
        f"Persons by lifecycle stage on {previous or 'no earlier period'} (rows) and {latest} (columns)",
        from_states,
        to_states,
        {(r[2], r[3]): r[4] for r in rows},
        f"stage on {previous or '-'}",
        f"stage on {latest}",
    )
    note = (
        f"{sum(r[4] for r in rows):,} persons in the period ending {latest}; `none`: first seen in it."
        " The diagonal stayed; everything else moved (marts.fct_state_migration_matrix)."
    )
    return Section("lifecycle-flow", heading, chart, note)


def rejects_section(con: duckdb.DuckDBPyConnection) -> Section:
    from orchestration.summary import rejects_by_reason  # one query for the text and the picture

    heading = "Rejected raw lines per reason"
    rows = rejects_by_reason(con)
    if not rows:
        return Section("rejects", heading, None, "No raw line was rejected.")
    rows = sorted(rows, key=lambda r: (-r[2], r[0], r[1]))
    chart = bars(
        "chart-rejects",
        "Rejected raw lines per source and reason",
        [Bar(f"{source}: {reason}", n) for source, reason, n in rows],
        "rejected lines",
        "source: reject reason",
    )
    note = f"{sum(r[2] for r in rows):,} lines rejected; each kept with its reason in the staging *_lines models."
    return Section("rejects", heading, chart, note)


def summary_html(database: Path) -> str:
    with duckdb.connect(str(database), read_only=True) as con:
        sections = [identity_section(con), rfm_section(con), lifecycle_section(con), rejects_section(con)]
    return page(
        "User Asset Warehouse: build summary",
        f"Warehouse {database}. The numbers behind each chart are in the marts named under it; "
        "`make summary` prints the rows per layer.",
        sections,
    )


def summary_report(database: Path, out: Path | None = None) -> Path:
    return write(out or REPORTS_DIR / "summary.html", summary_html(database))


# -- make calibrate -------------------------------------------------------------------------------


def calibration_html(table: Any, summary: Mapping[str, Any]) -> str:
    """`table`: one row per decile (index) with persons, predicted and actual mean purchases, as
    orchestration.predictions_eval.calibration() returns it."""
    deciles = [str(d) for d in table.index]
    predicted = [float(v) for v in table["predicted"]]
    actual = [float(v) for v in table["actual"]]
    chart = bar_chart(
        "chart-calibration",
        f"Purchases per person in the {summary['horizon_days']} days after {summary['cutoff']}, by decile",
        [f"decile {d} ({int(n):,} persons)" for d, n in zip(deciles, table["persons"], strict=True)],
        {"predicted (mean)": predicted, "observed (mean)": actual},
        "purchase days per person",
        "decile of the prediction (1 lowest)",
        texts={"predicted (mean)": [f"{v:.3f}" for v in predicted], "observed (mean)": [f"{v:.3f}" for v in actual]},
    )
    ratio = summary["predicted_total"] / summary["actual_total"] if summary["actual_total"] else float("nan")
    note = (
        f"{summary['persons']:,} persons predicted as of {summary['cutoff']}; total predicted "
        f"{summary['predicted_total']:,.0f} against observed {summary['actual_total']:,.0f} (ratio {ratio:.3f}); "
        f"correlation per person {summary['correlation']:.3f}. Well calibrated: the two bars of each decile "
        "are about as long."
    )
    return page(
        "Purchase predictions: holdout calibration",
        "BG/NBD fitted as of the cutoff (marts.fct_person_predictions of a rebuild as of that day) against "
        "the purchase days the persons then had (orchestration/predictions_eval.py).",
        [Section("calibration", "Predicted against observed, by decile", chart, note)],
    )


def calibration_report(table: Any, summary: Mapping[str, Any], out: Path | None = None) -> Path:
    return write(out or REPORTS_DIR / "calibration.html", calibration_html(table, summary))


# -- make bench -----------------------------------------------------------------------------------


def _get(results: Mapping[str, Any], *keys: str) -> float | None:
    value: Any = results
    for key in keys:
        value = value.get(key) if isinstance(value, Mapping) else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def bench_html(results: Mapping[str, Any], name: str) -> str:
    """The sections of one bench result (orchestration/bench.py writes its fields; results
    written before the fields were renamed `*_s` are read by their old `*_seconds` names)."""

    def get(name: str, *path: str) -> float | None:
        value = _get(results, *path, name + "_s") if path else _get(results, name + "_s")
        return value if value is not None else _get(results, *path, name + "_seconds")

    timings = [
        ("simulator", get("simulator")),
        ("floor: one pass over the raw files", get("floor")),
        ("full dbt build", get("full_build")),
        ("one more day at half the history", get("day_at_1x")),
        ("one more day, built on top", get("incremental_day")),
        ("identity components (dbt, alone)", get("identity")),
        ("identity components (SciPy)", get("scipy")),
        ("CLV fit (ours)", get("ours", "clv_fit")),
        ("CLV fit (lifetimes)", get("lifetimes", "clv_fit")),
    ]
    sections = [
        Section(
            "timings",
            "Timings",
            bar_chart(
                "chart-timings",
                f"Seconds per step, tier {results.get('tier', '?')}",
                [label for label, _ in timings],
                {"seconds": [v for _, v in timings]},
                "seconds (wall clock)",
                "step",
                texts={"seconds": [f"{v:,.1f} s" if v is not None else "" for _, v in timings]},
            ),
            f"{int(results.get('raw_lines') or 0):,} raw lines; {results.get('machine', '')}. "
            "A step not measured in this run (reused data, --skip-next-day) has no bar.",
        )
    ]

    def ratio(a: float | None, b: float | None) -> float | None:
        return a / b if a is not None and b else None

    # (measure, measured ratio, target, how the target reads): SPEC section 8.
    ratios = [
        ("full build / floor", ratio(get("full_build"), get("floor")), 4.0, "<="),
        ("one more day / full build", ratio(get("incremental_day"), get("full_build")), 0.1, "<="),
        ("day at 2x / day at 1x history", ratio(get("incremental_day"), get("day_at_1x")), 1.2, "<="),
        ("identity: dbt / SciPy", ratio(get("identity"), get("scipy")), 3.0, "<="),
        ("CLV fit: ours / lifetimes", ratio(get("ours", "clv_fit"), get("lifetimes", "clv_fit")), 1.0, "<"),
    ]
    sections.append(
        Section(
            "ratios",
            "Ratios against their targets (SPEC section 8)",
            bar_chart(
                "chart-ratios",
                "Measured ratio and its target (lower is better)",
                [r[0] for r in ratios],
                {"measured": [r[1] for r in ratios], "target": [r[2] for r in ratios]},
                "ratio",
                "measure",
                texts={
                    "measured": [f"{r[1]:.2f}" if r[1] is not None else "" for r in ratios],
                    "target": [f"{r[3]} {r[2]:g}" for r in ratios],
                },
            ),
        )
    )
    layers = results.get("layer_s") or results.get("layer_seconds") or {}
    if isinstance(layers, Mapping) and layers:
        sections.append(
            Section(
                "layers",
                "Time per layer in the full build",
                bars(
                    "chart-layers",
                    "Model seconds per layer (summed over threads)",
                    [Bar(str(k), float(v), f"{float(v):,.1f} s") for k, v in layers.items()],
                    "seconds",
                    "layer",
                ),
            )
        )
    slowest = results.get("slowest_models") or []
    if slowest:
        sections.append(
            Section(
                "slowest-models",
                "Slowest models in the full build",
                bars(
                    "chart-slowest-models",
                    "Seconds per model",
                    [Bar(str(uid).split(".")[-1], float(s), f"{float(s):,.1f} s") for uid, s in slowest],
                    "seconds",
                    "model",
                ),
            )
        )
    return page(f"Bench: {name}", f"One run of `make bench` ({name}.json), orchestration/bench.py.", sections)


def bench_report(json_path: Path | str, out: Path | None = None) -> Path:
    """Draw one bench result (bench/results/*.json) into reports/bench-<name>.html."""
    json_path = Path(json_path)
    results = json.loads(json_path.read_text())
    return write(out or REPORTS_DIR / f"bench-{json_path.stem}.html", bench_html(results, json_path.stem))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.report_html", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    summary = commands.add_parser("summary", help="reports/summary.html from the warehouse")
    summary.add_argument("--database", type=Path, default=None, help="default USER_ASSETS_DUCKDB_PATH")
    summary.add_argument("--out", type=Path, default=None)
    bench = commands.add_parser("bench", help="reports/bench-<name>.html from a bench/results/*.json")
    bench.add_argument("json", type=Path)
    bench.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    try:
        if args.command == "bench":
            if not args.json.is_file():
                print(f"No bench result at {args.json}: run `make bench` first.", file=sys.stderr)
                return 1
            path = bench_report(args.json, args.out)
        else:
            database = args.database or settings.duckdb_path()
            if not database.exists():
                print(f"No warehouse at {database}: run `make build` (or `make demo`) first.", file=sys.stderr)
                return 1
            path = summary_report(database, args.out)
    except safe_paths.NotOurs as refused:
        print(refused, file=sys.stderr)
        return 1
    print(f"HTML report: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
