"""RFM and lifecycle on the tiny tier: RFM recomputed for every person and snapshot in pandas from
the staged orders (not the models' SQL) equals the mart, and snapshots do not change when later
data is added."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.tests.conftest import EARLY_AS_OF
from orchestration.tests.test_person_facts import orders_as_of
from orchestration.tests.tiny_build import TinyBuild

WINDOW_DAYS = 365  # dbt_project.yml rfm_window_days
CLASSES = {
    (True, True, True): "important_value",
    (False, True, True): "important_keep",
    (True, False, True): "important_develop",
    (False, False, True): "important_retain",
    (True, True, False): "general_value",
    (False, True, False): "general_keep",
    (True, False, False): "general_develop",
    (False, False, False): "general_retain",
}


def weekly_snapshots(con: duckdb.DuckDBPyConnection) -> list[dt.date]:
    """Sundays from the week of the first event to the as-of date."""
    (first, as_of) = con.execute(
        "select min(event_date), (select as_of_date from intermediate.int_as_of_date) from staging.stg_tracking__events"
    ).fetchone()
    sunday = first - dt.timedelta(days=first.weekday()) + dt.timedelta(days=6)
    out = []
    while sunday <= as_of:
        out.append(sunday)
        sunday += dt.timedelta(days=7)
    return out


def score(values: pd.Series, worst_first_ascending: bool) -> pd.Series:
    """1-5: rank from worst to best (ties share the lowest rank), in fifths."""
    ranks = values.rank(method="min", ascending=worst_first_ascending)
    return (1 + ((ranks - 1) * 5 // len(values))).astype(int)


def expected_rfm(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    orders = orders_as_of(con)
    orders = orders[orders["paid_at"].notna()]
    rows = []
    for snapshot in weekly_snapshots(con):
        end = pd.Timestamp(snapshot + dt.timedelta(days=1))
        seen = orders[orders["paid_at"] < end]
        if seen.empty:
            continue
        counted = seen[(seen["paid_at"] >= end - pd.Timedelta(days=WINDOW_DAYS)) & ~(seen["closed_at"] < end)]
        per = pd.DataFrame(
            {
                "recency_days": seen.groupby("one_id")["paid_at"].max().map(lambda t, s=snapshot: (s - t.date()).days),
                "frequency": counted.groupby("one_id").size(),
                "monetary": counted.groupby("one_id")["amount"].agg(lambda s: sum(s, Decimal(0))),
            }
        )
        per["frequency"] = per["frequency"].fillna(0).astype(int)
        per["monetary"] = per["monetary"].map(lambda m: m if isinstance(m, Decimal) else Decimal(0))
        monetary = per["monetary"].astype(float)
        per["r_score"] = score(per["recency_days"], worst_first_ascending=False)
        per["f_score"] = score(per["frequency"], worst_first_ascending=True)
        per["m_score"] = score(monetary, worst_first_ascending=True)
        recent = per["recency_days"] < per["recency_days"].mean()
        frequent = per["frequency"] > per["frequency"].mean()
        big = monetary > float(sum(per["monetary"], Decimal(0)) / len(per))
        per["rfm_class"] = [CLASSES[key] for key in zip(recent, frequent, big, strict=True)]
        per["snapshot_date"] = snapshot
        rows.append(per.reset_index(names="one_id"))
    return pd.concat(rows, ignore_index=True)


def test_rfm_equals_an_independent_computation(tiny: TinyBuild) -> None:
    with duckdb.connect(str(tiny.database), read_only=True) as con:
        expected = expected_rfm(con)
        actual = con.execute(
            "select one_id, snapshot_date, recency_days, frequency, cast(monetary as varchar) as monetary,"
            " r_score, f_score, m_score, rfm_class from marts.fct_rfm_snapshots where rfm_class != 'prospect'"
        ).df()
    actual["monetary"] = actual["monetary"].map(Decimal)
    actual["snapshot_date"] = actual["snapshot_date"].dt.date
    columns = list(actual.columns)
    key = ["snapshot_date", "one_id"]
    expected = expected[columns].sort_values(key).reset_index(drop=True)
    actual = actual.sort_values(key).reset_index(drop=True)
    assert len(expected) > 500 and expected["rfm_class"].nunique() == 8
    pd.testing.assert_frame_equal(actual, expected, check_dtype=False)


def test_snapshots_do_not_change_when_later_data_is_added(tiny: TinyBuild, early: Path) -> None:
    """The tiny warehouse built as of EARLY_AS_OF and as of its last day share their earlier
    snapshots row for row: nothing after a snapshot date leaks into it."""
    queries = {
        "rfm": "select * from marts.fct_rfm_snapshots where snapshot_date <= ? order by all",
        "thresholds": "select * from marts.fct_rfm_thresholds where snapshot_date <= ? order by all",
        "lifecycle": "select * from marts.fct_lifecycle_stages where period_end <= ? order by all",
    }
    cutoff = dt.date.fromisoformat(EARLY_AS_OF)
    with (
        duckdb.connect(str(early), read_only=True) as early_con,
        duckdb.connect(str(tiny.database), read_only=True) as con,
    ):
        (later_snapshots,) = con.execute(
            "select count(*) from marts.fct_rfm_thresholds where snapshot_date > ?", [cutoff]
        ).fetchone()
        assert later_snapshots > 0, "the full build should have snapshots after the early as-of date"
        for name, query in queries.items():
            before = early_con.execute(query, [cutoff]).df()
            after = con.execute(query, [cutoff]).df()
            assert len(before) > 0, name
            pd.testing.assert_frame_equal(before, after, obj=name)


def test_every_campaign_touch_is_accounted_for(tiny: TinyBuild) -> None:
    """Touches that reach no person and persons touched in both arms are counted, not dropped."""
    with duckdb.connect(str(tiny.database), read_only=True) as con:
        (staged,) = con.execute("select count(*) from staging.stg_marketing__campaign_touches").fetchone()
        (audited, resolved, persons, both) = con.execute(
            "select sum(touch_count), sum(resolved_touch_count), sum(person_count), sum(both_arms_person_count)"
            " from marts.fct_campaign_audit"
        ).fetchone()
        (compared,) = con.execute(
            "select sum(person_count) from marts.fct_campaign_results where rfm_class = 'all'"
        ).fetchone()
    assert staged > 0 and audited == staged
    assert 0 < resolved <= staged
    assert compared + both == persons
