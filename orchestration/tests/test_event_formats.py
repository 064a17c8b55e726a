"""Events in the formats companies already have (docs/event-formats.md), read as they are.

The samples under fixtures/event_formats/ were written by hand from each format's own
documentation (Sensors Data's import format, the Segment spec, a Snowplow atomic.events export
and a plain CSV), not by the simulator: every record type, placeholders, binds and an unbind,
identify and alias, an SDK retry, malformed lines and rows, names and identity keys nobody
mapped. Each is an events-only data set (no orders, CRM, touches or erasure requests), so each
build also shows that such a data set builds green. What must hold: every line or row is
accounted for with the fate and reason written below by hand, identifiers land under the right
types, profile values never leave the raw layer, the unmapped values are reported, and every
person-level mart is built.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.tests.dbt_helpers import run_dbt

# Builds the tiny tier many times over: `make test-slow`, not `make test`.
pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent / "fixtures" / "event_formats"
PARTITION = "dt=2026-03-01"
PERSON_MARTS = [
    "dim_persons",
    "fct_person_tags",
    "fct_person_engagement",
    "fct_rfm_snapshots",
    "bdg_identifiers_to_persons",
]

# line -> (line_status, reject_reason, record_kind), from reading each line, not from the code.
SENSORS = {
    1: ("accepted", None, "event"),  # $AppStart
    2: ("accepted", None, "event"),  # ViewProduct: a business name nobody mapped, kept
    3: ("duplicate", None, "event"),  # the SDK's retry of line 2 (same distinct_id, event, time, _track_id)
    4: ("accepted", None, "event"),  # track_signup
    5: ("accepted", None, "identity_link"),  # track_id_bind
    6: ("accepted", None, "identity_unlink"),  # track_id_unbind
    7: ("accepted", None, "profile_update"),  # profile_set
    8: ("accepted", None, "event"),  # $MPViewScreen with a mini program openid and an unmapped key
    9: ("accepted", None, "event"),  # $pageview on the web
    10: ("rejected", "bad_amount", "event"),  # amount -3
    11: ("rejected", "missing_event", "event"),  # a track with no event
    12: ("rejected", "bad_time", "event"),  # time "yesterday"
    13: ("rejected", "missing_identity", "event"),  # no distinct_id, no identities
    14: ("accepted", None, "item_update"),  # item_set: about a product, not a person
    15: ("rejected", "unknown_record_type", None),  # type "bogus"
    16: ("rejected", "malformed_json", None),  # cut off
    17: ("rejected", "not_an_object", None),  # an array
    18: ("accepted", None, "event"),  # an older SDK: login_id / anonymous_id instead of identities
    19: ("accepted", None, "event"),  # an iOS start with a placeholder IDFA beside its IDFV
}
SEGMENT = {
    1: ("accepted", None, "event"),  # page call
    2: ("accepted", None, "event"),  # Product Viewed
    3: ("duplicate", None, "event"),  # retry of line 2 (same messageId, other content)
    4: ("accepted", None, "profile_update"),  # identify with traits
    5: ("accepted", None, "identity_link"),  # alias
    6: ("accepted", None, "event"),  # Order Completed from iOS
    7: ("accepted", None, "event"),  # screen call in a mini program, externalIds
    8: ("accepted", None, "profile_update"),  # group
    9: ("rejected", "unknown_record_type", None),  # type "trak"
    10: ("rejected", "missing_identity", "event"),  # neither userId nor anonymousId
    11: ("rejected", "missing_event_id", "event"),  # no messageId
    12: ("rejected", "missing_event", "event"),  # a track call that names no event
    13: ("rejected", "bad_time", "event"),  # timestamp "not a time"
    14: ("rejected", "bad_amount", "event"),  # total "12,5"
    15: ("rejected", "implausible_time", "event"),  # in 2099
    16: ("accepted", None, "event"),  # only originalTimestamp; an unmapped name
    17: ("accepted", None, "event"),  # placeholders "undefined" and "0" beside a real user and phone
}
# Record number (its first line) -> fate; the CSV's line 1 is its header.
PLAIN_CSV = {
    2: ("accepted", None, "event"),
    3: ("accepted", None, "event"),
    4: ("accepted", None, "event"),  # a quoted comma
    5: ("accepted", None, "event"),  # a quoted line break: one record on lines 5-6
    7: ("rejected", "bad_time", "event"),
    8: ("rejected", "wrong_column_count", "event"),
    9: ("rejected", "malformed_csv", "event"),  # a quote never closed
    10: ("duplicate", None, "event"),  # line 3 exported twice (no event id: derived from the row)
}
PLAIN_CSV_MAP = {
    "events_table": {
        "event_id": None,
        "event_name": "event",
        "time": "timestamp",
        "time_zone": "Asia/Shanghai",
        "account_id": "user_id",
        "anonymous_id": "session_id",
        "properties": {"page": "page"},
    }
}
# A Snowplow atomic.events export: (event_id, platform, collector, derived, event_name, user_id,
# domain_userid, network_userid, page_urlpath, ti_sku, tr_total, phone) and the row's fate.
SNOWPLOW_ROWS = [
    (
        (
            "sp-1",
            "web",
            "2026-03-01T02:00:01Z",
            "2026-03-01T02:00:00Z",
            "page_view",
            None,
            "d-1",
            "n-1",
            "/home",
            None,
            None,
            None,
        ),
        ("accepted", None),
    ),
    (
        (
            "sp-2",
            "web",
            "2026-03-01T02:01:01Z",
            "2026-03-01T02:01:00Z",
            "product_view",
            "u-42",
            "d-1",
            "n-1",
            "/p/1",
            "SKU1",
            None,
            "13912345678",
        ),
        ("accepted", None),
    ),
    (
        (
            "sp-2",
            "web",
            "2026-03-01T02:01:02Z",
            "2026-03-01T02:01:00Z",
            "product_view",
            "u-42",
            "d-1",
            "n-1",
            "/p/1",
            "SKU1",
            None,
            None,
        ),
        ("duplicate", None),
    ),
    (
        ("sp-3", "mob", "2026-03-01T02:02:01Z", None, "link_click", "u-42", None, None, None, None, None, None),
        ("accepted", None),
    ),
    (("sp-4", "web", None, None, "page_view", "u-42", None, None, None, None, None, None), ("rejected", "bad_time")),
    (
        (
            None,
            "web",
            "2026-03-01T02:03:01Z",
            "2026-03-01T02:03:00Z",
            "page_view",
            "u-42",
            None,
            None,
            None,
            None,
            None,
            None,
        ),
        ("rejected", "missing_event_id"),
    ),
    (
        (
            "sp-5",
            "web",
            "2026-03-01T02:04:01Z",
            "2026-03-01T02:04:00Z",
            "page_view",
            None,
            None,
            None,
            None,
            None,
            None,
            None,
        ),
        ("rejected", "missing_identity"),
    ),
    (
        (
            "sp-6",
            "web",
            "2026-03-01T02:05:01Z",
            "2026-03-01T02:05:00Z",
            "pay_order",
            "u-42",
            None,
            None,
            None,
            None,
            -5.0,
            None,
        ),
        ("rejected", "bad_amount"),
    ),
    (
        (
            "sp-7",
            "web",
            "2026-03-01T02:06:01Z",
            "2099-03-01T02:06:00Z",
            "page_view",
            "u-42",
            None,
            None,
            None,
            None,
            None,
            None,
        ),
        ("rejected", "implausible_time"),
    ),
]
SNOWPLOW_COLUMNS = [
    "event_id",
    "platform",
    "collector_tstamp",
    "derived_tstamp",
    "event_name",
    "user_id",
    "domain_userid",
    "network_userid",
    "page_urlpath",
    "ti_sku",
    "tr_total",
    "phone",
]


def _write_snowplow(path: Path) -> None:
    columns = list(zip(*[row for row, _ in SNOWPLOW_ROWS], strict=True))
    arrays = {}
    for name, values in zip(SNOWPLOW_COLUMNS, columns, strict=True):
        if name.endswith("tstamp"):
            arrays[name] = (
                pa.array([v and v.replace("Z", "") for v in values], pa.string())
                .cast(pa.timestamp("ms"))
                .cast(pa.timestamp("ms", tz="UTC"))
            )
        elif name == "tr_total":
            arrays[name] = pa.array(values, pa.float64())
        else:
            arrays[name] = pa.array(values, pa.string())
    arrays["app_id"] = pa.array(["com.uaw.shop"] * len(SNOWPLOW_ROWS))
    pq.write_table(pa.table(arrays), path)


def _land(work: Path, name: str, source: Path | None = None) -> Path:
    raw = work / "raw"
    folder = raw / "events" / PARTITION
    folder.mkdir(parents=True)
    if source is not None:
        shutil.copy(source, folder / name)
    return raw


def _build(raw: Path, work: Path, fmt: str, variables: dict | None = None):
    args = ["build"] + (["--vars", json.dumps(variables)] if variables else [])
    result = run_dbt(args, raw, work, USER_ASSETS_EVENTS_FORMAT=fmt)
    assert result.returncode == 0, result.stdout[-6000:]
    run_results = json.loads((work / "target" / "run_results.json").read_text())["results"]
    return duckdb.connect(str(work / "warehouse.duckdb"), read_only=True), run_results


@pytest.fixture(scope="module")
def sensors(tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("sensors")
    con, results = _build(_land(work, "part-0.jsonl", FIXTURES / "sensors.jsonl"), work, "sensors")
    yield con, results
    con.close()


@pytest.fixture(scope="module")
def segment(tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("segment")
    con, results = _build(_land(work, "part-0.jsonl", FIXTURES / "segment.jsonl"), work, "segment")
    yield con, results
    con.close()


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory):
    """A Snowplow Parquet export (the preset) in one warehouse, a plain CSV with its own map in another."""
    work = tmp_path_factory.mktemp("snowplow")
    raw = _land(work, "unused")
    _write_snowplow(raw / "events" / PARTITION / "part-0.parquet")
    snowplow = _build(raw, work, "table")
    work_csv = tmp_path_factory.mktemp("plain_csv")
    plain = _build(_land(work_csv, "export.csv", FIXTURES / "plain_events.csv"), work_csv, "table", PLAIN_CSV_MAP)
    yield snowplow, plain
    snowplow[0].close()
    plain[0].close()


def _fates(con) -> dict[int, tuple]:
    return {
        line: (status, reason, kind)
        for line, status, reason, kind in con.execute(
            "select line_number, line_status, reject_reason, record_kind from staging.base_tracking__event_lines"
        ).fetchall()
    }


def _assert_green(run_results: list[dict]) -> None:
    bad = [(r["unique_id"], r["status"]) for r in run_results if r["status"] in {"error", "skipped", "fail"}]
    assert bad == []


def _nonblank_lines(path: Path) -> int:
    return sum(1 for line in path.read_text().splitlines() if line.strip())


def _identifiers(con, record_id: str) -> dict[str, str | None]:
    return dict(
        con.execute(
            "select identifier_type, coalesce(identifier_value, identifier_status)"
            " from staging.stg_tracking__event_identifiers where event_id = ?",
            [record_id],
        ).fetchall()
    )


def _record_id(con, line: int) -> str:
    return con.execute(
        "select event_id from staging.base_tracking__event_lines where line_number = ?", [line]
    ).fetchone()[0]


def _unlisted(con) -> set[tuple[str, str]]:
    return {
        tuple(row)
        for row in con.execute(
            "select reference_seed, unlisted_value from marts.fct_unlisted_reference_values"
        ).fetchall()
    }


@pytest.mark.parametrize("name", ["sensors", "segment"])
def test_every_line_has_the_fate_written_by_hand(name: str, request: pytest.FixtureRequest) -> None:
    con, run_results = request.getfixturevalue(name)
    _assert_green(run_results)
    expected = SENSORS if name == "sensors" else SEGMENT
    assert len(expected) == _nonblank_lines(FIXTURES / f"{name}.jsonl")
    assert _fates(con) == expected
    staged = con.execute("select count(*) from staging.stg_tracking__events").fetchone()[0]
    records = con.execute("select count(*) from staging.stg_tracking__profile_records").fetchone()[0]
    accepted = [fate for fate in expected.values() if fate[0] == "accepted"]
    assert staged == sum(1 for fate in accepted if fate[2] == "event")
    assert records == len(accepted) - staged


@pytest.mark.parametrize("name", ["sensors", "segment"])
def test_an_events_only_data_set_builds_every_person_mart(name: str, request: pytest.FixtureRequest) -> None:
    con, _ = request.getfixturevalue(name)
    for mart in PERSON_MARTS:
        assert con.execute(f"select count(*) from marts.{mart}").fetchone()[0] > 0, mart


def test_sensors_identities_land_under_their_types(sensors) -> None:
    con, _ = sensors
    assert _identifiers(con, _record_id(con, 4)) == {"device_id": "a1b2c3d4e5f60708", "account_id": "u_778899"}
    # the bind links the login to a phone (its value never leaves staging: only its status)
    assert _identifiers(con, _record_id(con, 5)) == {"account_id": "u_778899", "phone": "valid"}
    assert _identifiers(con, _record_id(con, 6)) == {}  # an unbind links nothing
    assert _identifiers(con, _record_id(con, 8)) == {"openid": "wx1234567890abcdef/oX1-abcdef", "unionid": "uX9-zyx"}
    assert _identifiers(con, _record_id(con, 14)) == {}  # an item record names no person
    assert _identifiers(con, _record_id(con, 18)) == {"anonymous_id": "legacy-anon-1", "account_id": "u_5555"}
    # the IDFV wins over the all-zero IDFA; the all-zero phone is a placeholder
    assert _identifiers(con, _record_id(con, 19)) == {
        "device_id": "6f9a2c1e-0b7d-4e55-9a31-2c0d1e7f8a90",
        "phone": "placeholder",
    }
    # the app's install, sign-up, bind and profile are one person; the web visitor another
    persons = con.execute(
        "select count(distinct one_id) from marts.bdg_identifiers_to_persons"
        " where identifier_value in ('a1b2c3d4e5f60708', 'u_778899')"
    ).fetchone()[0]
    assert persons == 1


def test_sensors_names_channels_and_keys(sensors) -> None:
    con, _ = sensors
    names = dict(con.execute("select source_line_number, event_name from staging.stg_tracking__events").fetchall())
    assert (names[1], names[2], names[4], names[8], names[9], names[18]) == (
        "app_start",
        "ViewProduct",
        "register",
        "page_view",
        "page_view",
        "login",
    )
    channels = dict(con.execute("select source_line_number, channel from staging.stg_tracking__events").fetchall())
    assert (channels[1], channels[8], channels[9], channels[19]) == ("app_android", "mini_program", "web", "app_ios")
    assert {
        ("event_name_map", "ViewProduct"),
        ("identity_types", "$identity_oaid"),
        ("categories", "snacks_unlisted"),
    } <= _unlisted(con)


def test_profile_values_never_leave_the_raw_layer(sensors, segment) -> None:
    for con, kind_keys in ((sensors[0], "$name,member_level"), (segment[0], "email,name,plan")):
        rows = con.execute(
            "select record_kind, property_keys from staging.stg_tracking__profile_records"
            " where record_kind = 'profile_update'"
        ).fetchall()
        assert ("profile_update", kind_keys) in rows
        for table_name in ("stg_tracking__profile_records", "stg_tracking__events"):
            text = str(con.execute(f"select * from staging.{table_name}").fetchall())
            for secret in ("Li Na", "gold", "Peter Gibbons", "peter@example.com", "premium"):
                assert secret not in text, (table_name, secret)


def test_segment_identities_land_under_their_types(segment) -> None:
    con, _ = segment
    assert _identifiers(con, "ajs-0002") == {
        "anonymous_id": "507f191e810c19729de860ea",
        "account_id": "97980cfea0067",
        "email": "valid",
    }
    assert _identifiers(con, "ios-0003") == {"anonymous_id": "39239-239239-239239-23923", "account_id": "97980cfea0067"}
    assert _identifiers(con, "mp-0005") == {
        "anonymous_id": "mp-anon-1",
        "openid": "wx1234567890abcdef/oX1-abcdef",
        "unionid": "uX9-zyx",
    }
    assert _identifiers(con, "and-0007") == {
        "anonymous_id": "placeholder",
        "device_id": "placeholder",
        "account_id": "97980cfea0067",
        "phone": "valid",
    }
    # web visitor, identify, alias and the iOS order are one person
    persons = con.execute(
        "select count(distinct one_id) from marts.bdg_identifiers_to_persons"
        " where identifier_value in ('507f191e810c19729de860ea', '39239-239239-239239-23923', '97980cfea0067')"
    ).fetchone()[0]
    assert persons == 1
    names = dict(con.execute("select event_id, event_name from staging.stg_tracking__events").fetchall())
    assert (
        names["ajs-f8ca1e4de5024d9430b3928bd8ac6b96"],
        names["ajs-0001"],
        names["ios-0004"],
        names["mp-0005"],
        names["x-7"],
    ) == ("page_view", "product_view", "pay_order", "page_view", "Feature Used")
    order = con.execute(
        "select order_amount, currency, page from staging.stg_tracking__events where event_id = 'ios-0004'"
    ).fetchone()
    assert (float(order[0]), order[1], order[2]) == (27.5, "USD", None)
    assert {
        ("event_name_map", "Feature Used"),
        ("event_channel_map", "analytics-miniprogram"),
        ("identity_types", "externalIds.alipay_user_id"),
    } <= _unlisted(con)


def test_snowplow_parquet_rows_are_accounted_for(table) -> None:
    (con, run_results), _ = table
    _assert_green(run_results)
    expected = {i: fate for i, (_, fate) in enumerate(SNOWPLOW_ROWS, start=1)}
    got = {line: (status, reason) for line, (status, reason, _) in _fates(con).items()}
    assert got == expected
    assert _identifiers(con, "sp-2") == {
        "anonymous_id": "d-1",
        "device_id": "n-1",
        "account_id": "u-42",
        "phone": "valid",
    }
    product = con.execute(
        "select product_id, page, event_at from staging.stg_tracking__events where event_id = 'sp-2'"
    ).fetchone()
    assert product[:2] == ("SKU1", "/p/1")
    assert str(product[2]) == "2026-03-01 02:01:00"  # derived_tstamp, UTC
    assert ("event_channel_map", "mob") in _unlisted(con) and ("event_name_map", "link_click") in _unlisted(con)


def test_a_plain_csv_with_its_own_column_map(table) -> None:
    _, (con, run_results) = table
    _assert_green(run_results)
    assert _fates(con) == PLAIN_CSV
    lines = dict(
        con.execute("select line_number, physical_line_count from staging.base_tracking__event_lines").fetchall()
    )
    # every physical line but the header is in one record
    assert sum(lines.values()) == _nonblank_lines(FIXTURES / "plain_events.csv") - 1
    rows = con.execute(
        "select source_line_number, event_at, page from staging.stg_tracking__events order by 1"
    ).fetchall()
    # local times (Asia/Shanghai, no offset) become UTC
    assert [(line, str(at), page) for line, at, page in rows] == [
        (2, "2026-03-01 02:00:00", "/home"),
        (3, "2026-03-01 02:01:00", "/login"),
        (4, "2026-03-01 02:02:00", "/cart, main"),
        (5, "2026-03-01 02:03:00", "/checkout\nsecond line"),
    ]


def test_an_unknown_format_names_the_setting(tmp_path: Path) -> None:
    raw = _land(tmp_path, "part-0.jsonl", FIXTURES / "segment.jsonl")
    result = run_dbt(
        ["compile", "--select", "base_tracking__event_lines"], raw, tmp_path, USER_ASSETS_EVENTS_FORMAT="mixpanel"
    )
    assert result.returncode != 0
    assert "USER_ASSETS_EVENTS_FORMAT" in result.stdout and "sensors" in result.stdout


def test_the_raw_suite_keeps_an_adapter_formats_unmapped_names(sensors, monkeypatch: pytest.MonkeyPatch) -> None:
    """The raw suite's critical "no accepted event outside the taxonomy" holds the contract to its
    closed list; in an adapter format an unmapped name is kept by design (and reported)."""
    from orchestration.quality.core import validate
    from orchestration.quality.suites import SUBJECTS

    [raw] = [s for s in SUBJECTS if s.name == "raw_events_recent_partitions"]
    database = Path(
        sensors[0].execute("select path from duckdb_databases() where database_name = 'warehouse'").fetchone()[0]
    )
    monkeypatch.setenv("USER_ASSETS_EVENTS_FORMAT", "sensors")
    [outcome] = validate([raw], database)
    assert not any("unknown_accepted_events" in failed for failed in outcome.failed_critical)
    monkeypatch.setenv("USER_ASSETS_EVENTS_FORMAT", "contract")
    [outcome] = validate([raw], database)
    assert any("unknown_accepted_events" in failed for failed in outcome.failed_critical)
