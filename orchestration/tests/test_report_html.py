"""The HTML reports (issue 28 item 6): `make summary` writes reports/summary.html with one chart per
section whose numbers are the warehouse's (checked against SQL written here, on other models than
the charts read), every text escaped; the calibration and bench reports draw what they are given;
nothing is fetched from the network."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration import report_html, safe_paths, summary
from orchestration.tests.dbt_helpers import LINES_MODELS
from orchestration.tests.tiny_build import TinyBuild

VOID = {"meta", "br", "img", "input", "link", "hr", "rect", "line", "circle", "path"}
HOSTILE = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'


class Report(HTMLParser):
    """What a report holds: per section its charts, the bars and cells with their data, its text;
    and whether the tags balance and anything could run or be fetched."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.section: str | None = None
        self.charts: dict[str, list[dict]] = defaultdict(list)
        self.bars: dict[str, list[dict]] = defaultdict(list)
        self.cells: dict[str, list[dict]] = defaultdict(list)
        self.text: dict[str, list[str]] = defaultdict(list)
        self.active: list[str] = []  # script tags, event handlers, external references
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "script" or any(k.startswith("on") for k in a) or any(k in a for k in ("src", "href")):
            self.active.append(f"<{tag} {a}>")
        if tag not in VOID:
            self.stack.append(tag)
        if tag == "section":
            self.section = a["id"]
        elif tag == "svg":
            self.charts[self.section].append(a)
        elif tag == "g" and a.get("class") == "bar":
            self.bars[self.section].append(a)
        elif tag == "g" and a.get("class") == "cell":
            self.cells[self.section].append(a)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1:]}>"
        self.stack.pop()
        if tag == "section":
            self.section = None

    def handle_data(self, data: str) -> None:
        self.text[self.section].append(data)


def parse(path: Path) -> Report:
    text = path.read_text(encoding="utf-8")
    report = Report(text)
    assert report.stack == [], f"unclosed tags: {report.stack}"
    assert report.active == [], report.active
    assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in text
    # Each chart is well-formed SVG on its own (what a browser's SVG renderer needs).
    start = 0
    while (begin := text.find("<svg", start)) >= 0:
        end = text.index("</svg>", begin) + len("</svg>")
        svg = ET.fromstring(text[begin:end])
        ns = "{http://www.w3.org/2000/svg}"
        assert svg.find(f"{ns}title").text  # a title for every chart, and its two axes named
        assert len([t for t in svg.iter(f"{ns}text") if t.get("class") == "axis-label" and t.text]) == 2
        start = end
    return report


def values(items: list[dict], key: str = "data-label", series: str | None = None) -> dict[str, float]:
    out = {}
    for item in items:
        if (series is None or item["data-series"] == series) and item["data-value"]:
            assert item[key] not in out, f"{item[key]} twice"
            out[item[key]] = float(item["data-value"])
    return out


@pytest.fixture(scope="module")
def summary_page(tiny: TinyBuild, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reports") / "summary.html"
    assert summary.main(["--database", str(tiny.database), "--html", str(out)]) == 0
    return out


def test_make_summary_writes_a_marked_self_contained_page(summary_page: Path) -> None:
    report = parse(summary_page)
    assert safe_paths.owner(summary_page.parent)  # marked: make clean may delete it
    assert list(report.charts) == ["identity-components", "rfm-classes", "lifecycle-flow", "rejects"]
    for section, charts in report.charts.items():
        assert len(charts) == 1, section
        text = " ".join(report.text[section])
        assert charts[0]["id"] and charts[0]["data-kind"] in {"bar", "heatmap"}
        assert text.strip()
        shown = report.bars[section] or report.cells[section]
        assert shown and all(item["data-value"] for item in shown)


def test_identity_components_are_the_persons_by_identifier_count(summary_page: Path, tiny: TinyBuild) -> None:
    with duckdb.connect(str(tiny.database), read_only=True) as con:
        sizes = con.execute("select count(*) from marts.bdg_identifiers_to_persons group by one_id").fetchall()
        (persons,) = con.execute("select count(*) from marts.dim_persons").fetchone()

    def bucket(n: int) -> str:
        return f"{n:02d}" if n <= 5 else "06-10" if n <= 10 else "11-50" if n <= 50 else "51+"

    drawn = values(parse(summary_page).bars["identity-components"])
    assert drawn == {k: float(v) for k, v in Counter(bucket(n) for (n,) in sizes).items()}
    assert sum(drawn.values()) == persons


def test_rfm_shares_are_the_latest_snapshot(summary_page: Path, tiny: TinyBuild) -> None:
    with duckdb.connect(str(tiny.database), read_only=True) as con:
        counts = dict(
            con.execute(
                "select rfm_class, count(*) from marts.fct_rfm_snapshots"
                " where snapshot_date = (select max(snapshot_date) from marts.fct_rfm_snapshots) group by 1"
            ).fetchall()
        )
    report = parse(summary_page)
    drawn = {label.rsplit("(", 1)[1].rstrip(")"): v for label, v in values(report.bars["rfm-classes"]).items()}
    assert drawn == {k: float(v) for k, v in counts.items()}
    shown = [t for t in report.text["rfm-classes"] if t.endswith("%)") and ": " not in t]  # not the tooltips
    shares = [float(t.split("(")[-1].rstrip("%)")) for t in shown]
    assert len(shares) == len(counts) and abs(sum(shares) - 100) < 0.5


def test_lifecycle_flow_is_the_two_latest_periods(summary_page: Path, tiny: TinyBuild) -> None:
    with duckdb.connect(str(tiny.database), read_only=True) as con:
        flow = con.execute(
            """
            with periods as (select distinct period_end from marts.fct_lifecycle_stages),
            latest as (select max(period_end) as d from periods),
            previous as (select max(period_end) as d from periods where period_end < (select d from latest))
            select coalesce(p.lifecycle_stage, 'none'), l.lifecycle_stage, count(*)
            from marts.fct_lifecycle_stages as l
            left join marts.fct_lifecycle_stages as p
                on p.one_id = l.one_id and p.period_end = (select d from previous)
            where l.period_end = (select d from latest)
            group by 1, 2
            """
        ).fetchall()
    cells = parse(summary_page).cells["lifecycle-flow"]
    drawn = {(c["data-row"], c["data-column"]): float(c["data-value"]) for c in cells}
    assert {k: v for k, v in drawn.items() if v} == {(a, b): float(n) for a, b, n in flow}


def test_rejects_per_reason_are_every_rejected_line(summary_page: Path, tiny: TinyBuild) -> None:
    expected = {}
    with duckdb.connect(str(tiny.database), read_only=True) as con:
        for source, model in LINES_MODELS.items():
            for reason, n in con.execute(
                f"select reject_reason, count(*) from staging.{model} where line_status = 'rejected' group by 1"
            ).fetchall():
                expected[f"{source}: {reason}"] = float(n)
    assert values(parse(summary_page).bars["rejects"]) == expected and expected


def test_a_hostile_label_is_escaped(tiny: TinyBuild, tmp_path: Path) -> None:
    copy = tmp_path / "warehouse.duckdb"
    copy.write_bytes(tiny.database.read_bytes())
    with duckdb.connect(str(copy)) as con:
        con.execute("update marts.rpt_rfm_class_summary set rfm_class_name_en = ?", [HOSTILE])
        con.execute("update marts.fct_state_migration_matrix set to_state = ? where to_state = 'active'", [HOSTILE])
    out = report_html.summary_report(copy, tmp_path / "reports" / "summary.html")
    report = parse(out)  # no script, no handler, no unbalanced tag
    assert any(HOSTILE in label for label in values(report.bars["rfm-classes"]))
    assert any(cell["data-column"] == HOSTILE for cell in report.cells["lifecycle-flow"])
    assert HOSTILE in "".join(report.text["rfm-classes"])
    assert "<script" not in out.read_text()


def test_the_calibration_report_draws_each_decile(tmp_path: Path) -> None:
    table = pd.DataFrame(
        {"persons": [10] * 10, "predicted": [0.1 * d for d in range(1, 11)], "actual": [0.12 * d for d in range(10)]},
        index=pd.Index(range(1, 11), name="decile"),
    )
    stats = {
        "cutoff": "2026-01-01",
        "horizon_days": 90,
        "persons": 100,
        "predicted_total": 55.0,
        "actual_total": 54.0,
        "correlation": 0.5,
    }
    report = parse(report_html.calibration_report(table, stats, tmp_path / "calibration.html"))
    bars = report.bars["calibration"]
    assert [float(b["data-value"]) for b in bars if b["data-series"] == "predicted (mean)"] == list(table["predicted"])
    assert [float(b["data-value"]) for b in bars if b["data-series"] == "observed (mean)"] == list(table["actual"])


def bench_result() -> dict:
    """The fields orchestration/bench.py writes, with made-up timings."""
    return {
        "tier": "large",
        "machine": "2 cores",
        "simulator_s": None,
        "floor_s": 10.0,
        "floor_cold_s": 30.0,
        "raw_lines": 123456,
        "full_build_s": 38.5,
        "day_at_1x_s": 5.0,
        "incremental_day_s": 6.0,
        "peak_rss_mb": 900.0,
        "slowest_models": [["model.user_asset_warehouse.int_identity_components", 7.5], ["model.x.fct_<b>", 2.0]],
        "layer_s": {"staging": 12.0, "marts": 9.0},
        "identity_s": 6.0,
        "identity_in_build_s": 7.5,
        "scipy_s": 3.0,
        "clv_fit": {"customers": 5, "ours_s": 0.5, "lifetimes_s": 2.0, "lifetimes_converged": True},
    }


def test_the_bench_report_draws_a_bench_json(tmp_path: Path) -> None:
    source = tmp_path / "results" / "large-20260101T000000.json"
    source.parent.mkdir()
    source.write_text(json.dumps(bench_result()))
    out = tmp_path / "reports" / "bench.html"
    assert report_html.main(["bench", str(source), "--out", str(out)]) == 0
    report = parse(out)
    timings = report.bars["timings"]
    assert values(timings)["full dbt build"] == 38.5 and values(timings)["floor: one pass over the raw files"] == 10
    assert {b["data-label"]: b["data-value"] for b in timings}["simulator"] == ""  # not measured: no bar
    ratios = values(report.bars["ratios"], series="measured")
    assert ratios.pop("one more day / full build") == pytest.approx(6.0 / 38.5, abs=0.005)
    assert ratios == {
        "full build / floor": 3.85,
        "day at 2x / day at 1x history": 1.2,
        "identity: dbt / SciPy": 2.0,
        "CLV fit: ours / lifetimes": 0.25,
    }
    assert values(report.bars["layers"]) == {"staging": 12.0, "marts": 9.0}
    assert "fct_<b>" in values(report.bars["slowest-models"])


def test_the_bench_report_reads_results_written_before_the_rename(tmp_path: Path) -> None:
    old = {"tier": "large", "floor_seconds": 10.0, "full_build_seconds": 40.0, "layer_seconds": {"marts": 9.0}}
    source = tmp_path / "large-20251201T000000.json"
    source.write_text(json.dumps(old))
    report = parse(report_html.bench_report(source, tmp_path / "reports" / "old.html"))
    assert values(report.bars["ratios"], series="measured") == {"full build / floor": 4.0}
    assert values(report.bars["layers"]) == {"marts": 9.0}


def test_a_folder_of_somebody_else_is_refused(tiny: TinyBuild, tmp_path: Path) -> None:
    theirs = tmp_path / "mine"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("keep")
    with pytest.raises(safe_paths.NotOurs):
        report_html.summary_report(tiny.database, theirs / "summary.html")
    assert [p.name for p in theirs.iterdir()] == ["notes.txt"]


def test_make_calibrate_writes_its_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """predictions_eval's command writes the page of the table it prints (the rebuild as of the
    cutoff is replaced by a fixed table: it takes minutes and is tested by make calibrate)."""
    from orchestration import predictions_eval

    table = pd.DataFrame(
        {"persons": [3] * 10, "predicted": [0.5] * 10, "actual": [float(d) for d in range(10)]},
        index=pd.Index(range(1, 11), name="decile"),
    )
    stats = {
        "cutoff": "2026-01-01",
        "horizon_days": 90,
        "persons": 30,
        "predicted_total": 15.0,
        "actual_total": 135.0,
        "correlation": 0.1,
    }
    monkeypatch.setattr(predictions_eval, "calibration", lambda database, cutoff, horizon: (table, stats))
    monkeypatch.setenv("USER_ASSETS_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    (tmp_path / "warehouse.duckdb").touch()
    out = tmp_path / "reports" / "calibration.html"
    assert predictions_eval.main(["--html", str(out)]) == 0
    drawn = values(parse(out).bars["calibration"], series="observed (mean)")
    assert sorted(drawn.values()) == list(table["actual"])
