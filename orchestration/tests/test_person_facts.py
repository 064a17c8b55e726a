"""Person facts on the tiny tier against an independent computation from the orders source:
order counts and GMV per person equal to the cent, for the default as-of date and for an earlier
one (where nothing after the as-of day may leak in)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.tests.conftest import EARLY_AS_OF
from orchestration.tests.tiny_build import TinyBuild

PAID = {"paid", "shipped", "completed", "refunded"}
NET = {"paid", "shipped", "completed"}
STEP = {"created": 1, "paid": 2, "shipped": 3, "completed": 4, "cancelled": 5, "refunded": 6}


def orders_as_of(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per order of a known person as of the warehouse's as-of date, from the staged
    status lines and the identity bridge, in pandas (not the models' SQL): its person, latest
    status, amount, first payment and first refund or cancellation."""
    (as_of_end,) = con.execute("select as_of_end_at from intermediate.int_as_of_date").fetchone()
    updates = con.execute(
        "select order_id, order_status, cast(order_amount as varchar) as amount, updated_at,"
        " source_file_name, source_line_number from staging.stg_oms__order_updates"
    ).df()
    updates = updates[updates["updated_at"] < pd.Timestamp(as_of_end)].copy()
    updates["step"] = updates["order_status"].map(STEP)
    updates = updates.sort_values(["order_id", "updated_at", "step", "source_file_name", "source_line_number"])
    orders = updates.groupby("order_id").tail(1).set_index("order_id")[["order_status", "amount"]]
    orders["paid_at"] = updates[updates["order_status"].isin(PAID)].groupby("order_id")["updated_at"].min()
    closed = updates["order_status"].isin({"cancelled", "refunded"})
    orders["closed_at"] = updates[closed].groupby("order_id")["updated_at"].min()
    orders["amount"] = orders["amount"].map(lambda a: Decimal(a) if a is not None else Decimal(0))

    identifiers = con.execute(
        "select order_id, identifier_type, identifier_key from staging.stg_oms__order_identifiers"
        " where identifier_status = 'valid'"
    ).df()
    erased = set(
        con.execute("select identifier_key from intermediate.int_identity_erased_nodes").df()["identifier_key"]
    )
    bridge = con.execute("select identifier_key, one_id from marts.bdg_identifiers_to_persons").df()
    identifiers = identifiers.merge(bridge, on="identifier_key", how="left")
    with_erased = set(identifiers.loc[identifiers["identifier_key"].isin(erased), "order_id"])
    # The account decides, else the receiver phone (identifier_type_priority).
    identifiers["rank"] = identifiers["identifier_type"].map({"account_id": 0, "phone": 1})
    owner = (
        identifiers.dropna(subset=["one_id"]).sort_values(["order_id", "rank"]).groupby("order_id")["one_id"].first()
    )
    orders["one_id"] = owner
    orders = orders[orders["one_id"].notna() & ~orders.index.isin(with_erased)]
    return orders.reset_index()


def expected_order_facts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per person: paid and net orders, gross and net GMV."""
    orders = orders_as_of(con)
    paid = orders["paid_at"].notna()
    net = orders["order_status"].isin(NET)
    frame = pd.DataFrame(
        {
            "one_id": orders["one_id"],
            "paid_order_count": paid.astype(int),
            "net_order_count": net.astype(int),
            "gross_gmv": [a if p else Decimal(0) for a, p in zip(orders["amount"], paid, strict=True)],
            "net_gmv": [a if n else Decimal(0) for a, n in zip(orders["amount"], net, strict=True)],
        }
    )
    return frame.groupby("one_id").agg(
        paid_order_count=("paid_order_count", "sum"),
        net_order_count=("net_order_count", "sum"),
        gross_gmv=("gross_gmv", lambda s: sum(s, Decimal(0))),
        net_gmv=("net_gmv", lambda s: sum(s, Decimal(0))),
    )


def mart_order_facts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    frame = con.execute(
        "select one_id, paid_order_count, net_order_count, cast(gross_gmv as varchar) as gross_gmv,"
        " cast(net_gmv as varchar) as net_gmv from marts.dim_persons where paid_order_count > 0"
    ).df()
    frame["gross_gmv"] = frame["gross_gmv"].map(Decimal)
    frame["net_gmv"] = frame["net_gmv"].map(Decimal)
    return frame.set_index("one_id").sort_index()


def assert_order_facts_match(con: duckdb.DuckDBPyConnection) -> None:
    expected = expected_order_facts(con)
    expected = expected[expected["paid_order_count"] > 0].sort_index()
    actual = mart_order_facts(con)
    assert len(expected) > 20, "the tiny tier should have buyers"
    assert actual["net_gmv"].sum() == expected["net_gmv"].sum()
    assert actual["gross_gmv"].sum() == expected["gross_gmv"].sum()
    assert actual["paid_order_count"].sum() == expected["paid_order_count"].sum()
    pd.testing.assert_frame_equal(actual, expected, check_dtype=False)


def test_dim_persons_order_facts_match_the_orders_source(tiny: TinyBuild) -> None:
    with duckdb.connect(str(tiny.database), read_only=True) as con:
        assert_order_facts_match(con)


def test_an_earlier_as_of_sees_nothing_later(early: Path) -> None:
    with duckdb.connect(str(early), read_only=True) as con:
        assert con.execute("select as_of_date::varchar, as_of_source from intermediate.int_as_of_date").fetchone() == (
            EARLY_AS_OF,
            "var",
        )
        (late_events, late_payments, as_of_dates) = con.execute(
            "select count(*) filter (where last_event_at >= date '2026-02-01'),"
            " count(*) filter (where last_paid_at >= date '2026-02-01'), count(distinct as_of_date)"
            " from marts.dim_persons"
        ).fetchone()
        assert (late_events, late_payments, as_of_dates) == (0, 0, 1)
        assert_order_facts_match(con)


def test_every_person_has_a_profile_and_tags(tiny: TinyBuild) -> None:
    with duckdb.connect(str(tiny.database), read_only=True) as con:
        persons = con.execute("select count(distinct one_id) from marts.bdg_identifiers_to_persons").fetchone()[0]
        profiles, engagement, groups = (
            con.execute(f"select count(*) from marts.{t}").fetchone()[0]
            for t in ("dim_persons", "fct_person_engagement", "dim_person_category_groups")
        )
        assert persons == profiles == engagement == groups
        # Tags that every person has a value for.
        everyone = con.execute(
            "select tag_code from marts.fct_person_tags group by 1 having count(distinct one_id) = ?", [persons]
        ).df()["tag_code"]
        assert {"buyer_type", "engagement_decile", "lifecycle_stage", "is_member"} <= set(everyone)
