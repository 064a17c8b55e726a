"""The simulator writes the same sample in each tracking format (docs/event-formats.md).

Every check here parses the files the way the public format documents them, written
independently of the simulator: the record shapes, the Sensors derived event id, the per-reason
reject counts (first failing check wins, in the order of docs/event-formats.md) and the
identifiers each format carries. The contract output is compared with a checksum recorded from
the simulator on main before the formats existed.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import json
import os
import re
import subprocess
from collections import Counter, defaultdict
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.simulate.__main__ import main as simulate_main

ROOT = Path(__file__).resolve().parents[2]
SEED = 7
UTC = dt.UTC
FORMATS = ("contract", "sensors", "segment", "table")
# sha256 over (relative path, sha256 of bytes) of every file of `--tier tiny --seed 7`, raw and
# truth, as the simulator on main wrote them before the formats existed (commit 145fd15).
CONTRACT_CHECKSUM = "d3be31b5fece5a7996db7aa385519f0c5783ff009982b3c8a83fc54b72ea17f7"
PLACEHOLDERS = {"0", "-1", "null", "unknown", "00000000000", "", "00000000-0000-0000-0000-000000000000"}
CANONICAL = {
    "app_install",
    "app_start",
    "register",
    "login",
    "logout",
    "page_view",
    "product_view",
    "search",
    "add_to_cart",
    "favorite",
    "checkout",
    "pay_order",
    "refund",
    "share",
    "push_click",
    "coupon_claim",
    "bind_phone",
}
# docs/event-formats.md, "Sensors Data": identity keys -> identifier types
SENSORS_IDENTITY = {
    "$identity_login_id": "account_id",
    "$identity_anonymous_id": "anonymous_id",
    "$identity_cookie_id": "anonymous_id",
    "$identity_android_id": "device_id",
    "$identity_idfv": "device_id",
    "$identity_idfa": "device_id",
    "$identity_android_uuid": "device_id",
    "$identity_mobile": "phone",
    "$identity_email": "email",
    "$identity_mp_unionid": "unionid",
}
SENSORS_OPENID = re.compile(r"^\$identity_mp_(wx[0-9a-f]{16})_openid$")
SENSORS_LIBS = {"iOS", "Android", "js", "MiniProgram"}
SEGMENT_LIBS = {"analytics-ios", "analytics-android", "analytics.js"}
SEGMENT_TYPES = {"track", "page", "screen", "identify", "group", "alias"}
# the contract's app ids (SPEC section 2) and the identifier type of each channel's SDK id
APP_DID_TYPE = {
    "com.uaw.shop.ios": "device_id",
    "com.uaw.shop": "device_id",
    "www.uaw-shop.cn": "anonymous_id",
    "m.uaw-shop.cn": "anonymous_id",
    "wx6f1c2a9b3d4e5f70": "openid",
    "wx2b7e9d1c4a6f8e03": "openid",
}
CHANNEL_DID_TYPE = {
    "app_ios": "device_id",
    "app_android": "device_id",
    "web": "anonymous_id",
    "h5": "anonymous_id",
    "mini_program": "openid",
    "wechat_oa": "openid",
}
REASONS = {
    "sensors": (
        "malformed_json",
        "not_an_object",
        "unknown_record_type",
        "missing_event_id",
        "missing_event",
        "missing_identity",
        "bad_time",
        "implausible_time",
        "bad_amount",
    ),
    "table": ("missing_event_id", "missing_event", "missing_identity", "bad_time", "implausible_time", "bad_amount"),
}
REASONS["segment"] = REASONS["sensors"]
TABLE_IDENTITY = {
    "user_id": "account_id",
    "domain_userid": "anonymous_id",
    "network_userid": "device_id",
    "phone": "phone",
    "email": "email",
    "openid": "openid",
    "unionid": "unionid",
}
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=UTC)
DAY = dt.timedelta(days=1)


# ---------------------------------------------------------------------- samples
@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = {}
    for fmt in FORMATS:
        root = tmp_path_factory.mktemp(fmt)
        args = ["--tier", "tiny", "--seed", str(SEED), "--out", str(root / "raw")]
        assert simulate_main(args if fmt == "contract" else [*args, "--format", fmt]) == 0
        out[fmt] = root
    return out


def checksum(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(q for q in root.rglob("*") if q.is_file()):
        h.update(f"{p.relative_to(root).as_posix()}\0".encode())
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def manifest(root: Path) -> dict:
    return json.loads((root / "truth" / "manifest.json").read_text())


def truth(root: Path, name: str) -> list[dict]:
    return pq.read_table(root / "truth" / f"{name}.parquet").to_pylist()


def partition_day(rel: str) -> dt.datetime:
    day = re.search(r"dt=(\d{4}-\d{2}-\d{2})", rel).group(1)
    return dt.datetime.fromisoformat(day).replace(tzinfo=UTC)


def records(root: Path, fmt: str) -> list[tuple[str, int, object]]:
    """(file relative to raw, 1-based line or row number, raw text or row dict) of every event record."""
    raw = root / "raw"
    out = []
    for path in sorted((raw / "events").rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(raw).as_posix()
        if fmt == "table":
            assert path.suffix == ".parquet", rel
            out += [(rel, n, row) for n, row in enumerate(pq.read_table(path).to_pylist(), start=1)]
            continue
        data = path.read_bytes()
        text = (gzip.decompress(data) if path.name.endswith(".gz") else data).decode()
        lines = text.split("\n")
        assert lines[-1] == "", rel
        out += [(rel, n, line) for n, line in enumerate(lines[:-1], start=1)]
    return out


def ms(value: object) -> dt.datetime | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    try:
        return dt.datetime.fromtimestamp(value / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def iso(value: object) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        t = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else None


def bad_number(value: object) -> bool:
    return isinstance(value, bool) or not isinstance(value, int | float) or value < 0


def blank(value: object) -> bool:
    return not isinstance(value, str) or value == ""


def implausible(t: dt.datetime, received: dt.datetime | None, rel: str) -> bool:
    late = partition_day(rel) + DAY + DAY  # end of the dt= day plus future_tolerance_hours (24)
    return t < EARLIEST or t > late or (received is not None and t > received + DAY)


# ---------------------------------------------------------------------- independent readers
def sensors_id(o: dict) -> str:
    name = o["event"] if "event" in o else o["type"]
    return "sa-" + hashlib.md5(f"{o['distinct_id']}|{name}|{o['time']}|{o['_track_id']}".encode()).hexdigest()


def sensors_kind(o: dict) -> str | None:
    t = o.get("type")
    if t in ("track", "track_signup"):
        return "event"
    if t == "track_id_bind":
        return "identity_link"
    if t == "track_id_unbind":
        return "identity_unlink"
    if isinstance(t, str) and t.startswith("profile_"):
        return "profile_update"
    if isinstance(t, str) and t.startswith("item_"):
        return "item_update"
    return None


def classify_sensors(line: str, rel: str) -> str | None:
    try:
        o = json.loads(line)
    except json.JSONDecodeError:
        return "malformed_json"
    if not isinstance(o, dict):
        return "not_an_object"
    if sensors_kind(o) is None:
        return "unknown_record_type"
    # docs/event-formats.md: no identifier at all; then no distinct_id to derive the event id from
    named = [v for v in (o.get("identities") or {}).values() if not blank(v)]
    if not named and all(blank(o.get(k)) for k in ("distinct_id", "login_id", "anonymous_id")):
        return "missing_identity"
    if blank(o.get("distinct_id")):
        return "missing_event_id"
    if o["type"].startswith("track") and blank(o.get("event")):
        return "missing_event"
    t = ms(o.get("time"))
    if t is None:
        return "bad_time"
    if implausible(t, ms(o.get("recv_time")), rel):
        return "implausible_time"
    props = o.get("properties") or {}
    if any(k in props and bad_number(props[k]) for k in ("amount", "price")):
        return "bad_amount"
    return None


SEGMENT_KIND = {
    "track": "event",
    "page": "event",
    "screen": "event",
    "alias": "identity_link",
    "identify": "profile_update",
    "group": "profile_update",
}


def segment_time(o: dict) -> dt.datetime | None:
    return iso(o["timestamp"]) if "timestamp" in o else iso(o.get("originalTimestamp"))


def classify_segment(line: str, rel: str) -> str | None:
    try:
        o = json.loads(line)
    except json.JSONDecodeError:
        return "malformed_json"
    if not isinstance(o, dict):
        return "not_an_object"
    if o.get("type") not in SEGMENT_KIND:
        return "unknown_record_type"
    if blank(o.get("messageId")):
        return "missing_event_id"
    if o["type"] == "track" and blank(o.get("event")):
        return "missing_event"
    if blank(o.get("userId")) and blank(o.get("anonymousId")):
        return "missing_identity"
    t = segment_time(o)
    if t is None:
        return "bad_time"
    if implausible(t, iso(o.get("receivedAt")), rel):
        return "implausible_time"
    props = o.get("properties") or {}
    if any(k in props and bad_number(props[k]) for k in ("total", "revenue", "price")):
        return "bad_amount"
    return None


def table_time(row: dict) -> dt.datetime | None:
    return row["derived_tstamp"] or row["collector_tstamp"]


def classify_table(row: dict, rel: str) -> str | None:
    if blank(row["event_id"]):
        return "missing_event_id"
    if blank(row["event_name"]):
        return "missing_event"
    if all(blank(row[c]) for c in TABLE_IDENTITY):
        return "missing_identity"
    t = table_time(row)
    if t is None:
        return "bad_time"
    if implausible(t, row["collector_tstamp"], rel):
        return "implausible_time"
    if any(row[c] is not None and row[c] < 0 for c in ("tr_total", "ti_price")):
        return "bad_amount"
    return None


CLASSIFY = {"sensors": classify_sensors, "segment": classify_segment, "table": classify_table}


def parsed(root: Path, fmt: str) -> dict:
    """Rejects, duplicates and the accepted records of one format's events, found independently."""
    rejected, kept = {}, []
    for rel, n, rec in records(root, fmt):
        reason = CLASSIFY[fmt](rec, rel)
        if reason:
            rejected[(rel, n)] = reason
            continue
        if fmt == "sensors":
            o = json.loads(rec)
            key, kind, received = sensors_id(o), sensors_kind(o), o.get("recv_time")
        elif fmt == "segment":
            o = json.loads(rec)
            key, kind, received = o["messageId"], SEGMENT_KIND[o["type"]], iso(o["receivedAt"])
        else:
            o = rec
            key, kind, received = rec["event_id"], "event", rec["collector_tstamp"]
        kept.append((received, rel, n, key, kind, o))
    kept.sort(key=lambda k: (k[0], k[1], k[2]))
    seen, first, duplicates = set(), [], set()
    for _received, rel, n, key, kind, o in kept:
        if key in seen:
            duplicates.add((rel, n))
        else:
            seen.add(key)
            first.append((key, kind, o))
    return {"rejected": rejected, "duplicates": duplicates, "first": first, "lines": len(records(root, fmt))}


@pytest.fixture(scope="module")
def parses(samples: dict[str, Path]) -> dict[str, dict]:
    return {fmt: parsed(samples[fmt], fmt) for fmt in ("sensors", "segment", "table")}


def name_map() -> dict[tuple[str, str], str]:
    with (ROOT / "seeds" / "tracking" / "event_name_map.csv").open() as f:
        return {(r["source_format"], r["source_event"]): r["event"] for r in csv.DictReader(f)}


def canonical_name(fmt: str, o: dict) -> str:
    if fmt == "segment":
        name = o["type"] if o["type"] in ("page", "screen") else o["event"]
    elif fmt == "sensors":
        name = o["event"]
    else:
        name = o["event_name"]
    return name_map().get((fmt, name), name)


def identifiers(fmt: str, o: dict) -> set[tuple[str, str]]:
    """(type, raw value) pairs an accepted record carries, read per the public format."""
    out = []
    if fmt == "contract":
        out += list(o["identities"].items())
        out.append((CHANNEL_DID_TYPE[o["channel"]], o["distinct_id"]))
    elif fmt == "sensors":
        for key, value in o["identities"].items():
            m = SENSORS_OPENID.match(key)
            out.append(("openid" if m else SENSORS_IDENTITY[key], value))
    elif fmt == "segment":
        ctx = o.get("context") or {}
        traits = {**(ctx.get("traits") or {}), **(o.get("traits") or {})}
        app = ctx["app"]["namespace"]
        out += [("account_id", o.get("userId")), (APP_DID_TYPE[app], o.get("anonymousId"))]
        out.append(("device_id", (ctx.get("device") or {}).get("id")))
        out += [("phone", traits.get("phone")), ("email", traits.get("email"))]
        types = {"wechat_openid": "openid", "wechat_unionid": "unionid"}
        out += [(types[x["type"]], x["id"]) for x in ctx.get("externalIds") or []]
    else:
        out += [(kind, o[column]) for column, kind in TABLE_IDENTITY.items()]
    return {(k, v) for k, v in out if v is not None and v not in PLACEHOLDERS}


# ---------------------------------------------------------------------- tests
def test_contract_output_is_unchanged(samples: dict[str, Path]) -> None:
    assert checksum(samples["contract"]) == CONTRACT_CHECKSUM
    assert "events_format" not in manifest(samples["contract"])


def test_only_the_events_change_shape(samples: dict[str, Path]) -> None:
    base = samples["contract"]
    for fmt in ("sensors", "segment", "table"):
        root = samples[fmt]
        assert manifest(root)["events_format"] == fmt
        for source in ("orders", "crm_members", "campaign_touches", "erasure_requests"):
            mine = {p.relative_to(root): p.read_bytes() for p in (root / "raw" / source).rglob("*") if p.is_file()}
            theirs = {p.relative_to(base): p.read_bytes() for p in (base / "raw" / source).rglob("*") if p.is_file()}
            assert mine == theirs, (fmt, source)
        for name in ("persons", "identifiers", "orders", "touches", "erasures", "campaigns"):
            assert truth(root, name) == truth(base, name), (fmt, name)
        m, b = manifest(root)["sources"], manifest(base)["sources"]
        assert {s: v for s, v in m.items() if s != "events"} == {s: v for s, v in b.items() if s != "events"}


def test_sensors_records_follow_the_format(samples: dict[str, Path], parses: dict) -> None:
    kinds = Counter()
    for _key, _kind, o in parses["sensors"]["first"]:
        kinds[o["type"]] += 1
        assert isinstance(o["_track_id"], int) and isinstance(o["time"], int) and isinstance(o["recv_time"], int)
        assert isinstance(o["distinct_id"], str) and o["distinct_id"]
        assert o["lib"]["$lib"] in SENSORS_LIBS and isinstance(o["lib"]["$lib_version"], str)
        for k in o["identities"]:
            assert k in SENSORS_IDENTITY or SENSORS_OPENID.match(k), k
        if o["type"].startswith("profile_"):
            assert "event" not in o and o["identities"] == {"$identity_login_id": o["distinct_id"]}
            continue
        props = o["properties"]
        assert props["$lib"] == o["lib"]["$lib"] and props["$app_id"] in APP_DID_TYPE and isinstance(props["$os"], str)
        assert not {"page", "referrer", "utm_source"} & set(props)
        if o["type"] == "track_signup":
            assert o["event"] == "$SignUp" and isinstance(o["original_id"], str)
            assert o["distinct_id"] == o["identities"]["$identity_login_id"]
        if o["type"] == "track_id_bind":
            assert o["event"] == "$BindID" and "$identity_mobile" in o["identities"]
        if o["event"] == "$pageview":
            assert o["lib"]["$lib"] == "js" and props["$url_path"].startswith("/")
        if o["event"] in ("$AppViewScreen", "$AppStart", "$AppInstall", "$AppPushClick"):
            assert o["lib"]["$lib"] in ("iOS", "Android")
        if o["event"] in ("$MPViewScreen", "$MPShare", "$MPLaunch"):
            assert o["lib"]["$lib"] == "MiniProgram"
    assert {"track", "track_signup", "track_id_bind", "profile_set"} <= set(kinds)


def test_segment_records_follow_the_spec(parses: dict) -> None:
    kinds = Counter()
    for _key, _kind, o in parses["segment"]["first"]:
        kinds[o["type"]] += 1
        assert re.fullmatch(r"[0-9a-f-]{36}", o["messageId"])
        for field in ("timestamp", "originalTimestamp", "sentAt", "receivedAt"):
            assert ISO_UTC.match(o[field]), field
        assert iso(o["sentAt"]) <= iso(o["receivedAt"]) + (iso(o["originalTimestamp"]) - iso(o["timestamp"]))
        ctx = o["context"]
        assert ctx["library"]["name"] in SEGMENT_LIBS and isinstance(ctx["library"]["version"], str)
        assert ctx["app"]["namespace"] in APP_DID_TYPE
        for x in ctx.get("externalIds", []):
            assert x["type"] in ("wechat_openid", "wechat_unionid") and x["collection"] == "users"
            assert x["encoding"] == "none"
        assert isinstance(o.get("properties", {}), dict)
        if o["type"] == "track":
            assert isinstance(o["event"], str) and o["event"]
            props = o["properties"]
            assert not {"amount", "search_term", "coupon_id", "page"} & set(props)
            if o["event"] in ("Order Completed", "Checkout Started", "Order Refunded"):
                assert isinstance(props["order_id"], str) and props["total"] > 0 and props["currency"] == "CNY"
            if o["event"] == "Products Searched":
                assert isinstance(props["query"], str)
        if o["type"] in ("page", "screen"):
            assert "event" not in o and o["properties"]["path"].startswith("/")
            assert (o["type"] == "screen") == (ctx["library"]["name"] != "analytics.js")
        if o["type"] == "identify":
            assert isinstance(o["traits"], dict) and o["traits"] and isinstance(o["userId"], str)
    assert {"track", "page", "screen", "identify"} <= set(kinds)


def test_table_files_have_snowplow_columns(samples: dict[str, Path]) -> None:
    files = [p for p in (samples["table"] / "raw" / "events").rglob("*") if p.is_file()]
    assert files and all(
        re.fullmatch(r"dt=\d{4}-\d{2}-\d{2}/part-\d+\.parquet", p.relative_to(p.parents[1]).as_posix()) for p in files
    )
    schema = pq.read_schema(files[0])
    utc = pa.timestamp("ms", tz="UTC")
    for column in ("collector_tstamp", "derived_tstamp", "dvce_created_tstamp"):
        assert schema.field(column).type == utc, column
    for column in (
        "event_id",
        "app_id",
        "platform",
        "event_name",
        "user_id",
        "domain_userid",
        "network_userid",
        "page_urlpath",
        "refr_urlhost",
        "mkt_source",
        "mkt_medium",
        "mkt_campaign",
        "tr_orderid",
        "tr_currency",
        "ti_sku",
        "phone",
        "email",
        "openid",
        "unionid",
    ):
        assert schema.field(column).type == pa.string(), column
    assert schema.field("tr_total").type == pa.float64() and schema.field("ti_price").type == pa.float64()
    for p in files:
        assert pq.read_schema(p) == schema, p


def test_same_people_and_identifiers_in_every_format(samples: dict[str, Path], parses: dict) -> None:
    # the contract's own reject reasons are not re-derived here: take its accepted set from the
    # lines its truth does not list as bad
    bad = {(b["file"], b["line_number"]) for b in truth(samples["contract"], "bad_lines") if b["reason"] != "duplicate"}
    contract = set()
    for rel, n, line in records(samples["contract"], "contract"):
        if (rel, n) not in bad:
            contract |= identifiers("contract", json.loads(line))
    assert contract
    for fmt in ("sensors", "segment", "table"):
        mine = set().union(*(identifiers(fmt, o) for _, _, o in parses[fmt]["first"]))
        assert mine == contract, (fmt, len(mine ^ contract))


def test_duplicates_repeat_what_the_id_is_derived_from(samples: dict[str, Path], parses: dict) -> None:
    for fmt, p in parses.items():
        listed = {
            (b["file"], b["line_number"])
            for b in truth(samples[fmt], "bad_lines")
            if b["source"] == "events" and b["reason"] == "duplicate"
        }
        assert p["duplicates"] and p["duplicates"] == listed, fmt
        assert manifest(samples[fmt])["sources"]["events"]["duplicates"] == len(listed)
    # a Sensors retry repeats all four inputs of the derived id (and is otherwise the same record)
    by_file = defaultdict(dict)
    for rel, n, line in records(samples["sensors"], "sensors"):
        by_file[rel][n] = line
    originals = {sensors_id(o): o for _, _, o in parses["sensors"]["first"]}
    for rel, n in parses["sensors"]["duplicates"]:
        o = json.loads(by_file[rel][n])
        first = originals[sensors_id(o)]
        assert {k: o[k] for k in ("distinct_id", "event", "time", "_track_id")} == {
            k: first[k] for k in ("distinct_id", "event", "time", "_track_id")
        }


def test_truth_event_ids_are_the_ids_the_warehouse_derives(samples: dict[str, Path], parses: dict) -> None:
    base = {e["event_id"]: e for e in truth(samples["contract"], "events")}
    for fmt, p in parses.items():
        events = {k: o for k, kind, o in p["first"] if kind == "event"}
        rows = {e["event_id"]: e for e in truth(samples[fmt], "events")}
        assert set(rows) == set(events), fmt
        for key, o in events.items():
            assert canonical_name(fmt, o) == rows[key]["event"], (fmt, key)
        if fmt == "sensors":
            assert all(k.startswith("sa-") and len(k) == 35 for k in rows)
        else:  # the same events as the contract, minus the phone binding that is an identify call
            expect = {k for k, e in base.items() if fmt == "table" or e["event"] != "bind_phone"}
            assert set(rows) == expect, fmt
        persons = Counter(e["person_id"] for e in rows.values())
        base_persons = Counter(e["person_id"] for e in base.values() if fmt == "table" or e["event"] != "bind_phone")
        assert persons == base_persons, fmt


def test_reject_counts_match_an_independent_parse(samples: dict[str, Path], parses: dict) -> None:
    for fmt, p in parses.items():
        m = manifest(samples[fmt])["sources"]["events"]
        found = Counter(p["rejected"].values())
        assert set(found) == set(REASONS[fmt]), (fmt, set(REASONS[fmt]) ^ set(found))
        assert m["bad_by_reason"] == dict(sorted(found.items())), fmt
        assert m["lines"] == p["lines"]
        assert m["accepted_unique"] == p["lines"] - len(p["rejected"]) - len(p["duplicates"]) == len(p["first"])
        listed = {
            (b["file"], b["line_number"]): b["reason"]
            for b in truth(samples[fmt], "bad_lines")
            if b["source"] == "events" and b["reason"] != "duplicate"
        }
        assert listed == p["rejected"], fmt


def test_make_passes_the_format_on(tmp_path: Path) -> None:
    # stand-ins for the venv's dbt and python: they print what make hands them
    for name in ("dbt", "python"):
        tool = tmp_path / name
        tool.write_text(f'#!/bin/sh\necho "{name} format=$USER_ASSETS_EVENTS_FORMAT args=$*"\n')
        tool.chmod(0o755)

    def make(*args: str, env: dict | None = None) -> str:
        clean = {k: v for k, v in os.environ.items() if k not in ("USER_ASSETS_EVENTS_FORMAT", "FORMAT")}
        cmd = ["make", "--no-print-directory", "-s", f"BIN={tmp_path}", "INSTALLED=", *args]
        done = subprocess.run(cmd, cwd=ROOT, env={**clean, **(env or {})}, capture_output=True, text=True)
        return done.stdout

    assert "dbt format=contract " in make("build")
    assert "dbt format=sensors " in make("build", "FORMAT=sensors")
    assert "dbt format=table " in make("build", env={"USER_ASSETS_EVENTS_FORMAT": "table"})
    assert "dbt format=table " in make("build", "FORMAT=sensors", env={"USER_ASSETS_EVENTS_FORMAT": "table"})
    data = make("data", "FORMAT=segment", env={"USER_ASSETS_RAW_DIR": str(tmp_path / "raw")})
    assert "--format segment" in data and "--keep-existing" in data
    assert "--format table" in make("data", env={"USER_ASSETS_EVENTS_FORMAT": "table"})


def test_keep_existing_replaces_a_sample_of_another_format(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    args = ["--tier", "tiny", "--seed", str(SEED), "--days", "3", "--out", str(raw), "--keep-existing"]
    assert simulate_main(args) == 0
    assert simulate_main([*args, "--format", "segment"]) == 0
    assert manifest(tmp_path)["events_format"] == "segment"
    files = sorted(p for p in (raw / "events").rglob("*") if p.is_file())
    texts = [p.read_text() for p in files if p.suffix == ".jsonl"]
    assert texts and all('"messageId"' in t and '"event_id"' not in t for t in texts)
    stamp = {p: p.stat().st_mtime_ns for p in files}
    assert simulate_main([*args, "--format", "segment"]) == 0  # kept as it is
    assert {p: p.stat().st_mtime_ns for p in files} == stamp
    (raw / "events" / "mine.jsonl").write_text("{}\n")  # a file of the user's: refused, untouched
    assert simulate_main([*args, "--format", "table"]) == 1
    assert (raw / "events" / "mine.jsonl").exists() and manifest(tmp_path)["events_format"] == "segment"


@pytest.mark.parametrize("fmt", ["sensors", "table"])
def test_landing_the_next_day_continues_the_format(fmt: str, tmp_path: Path) -> None:
    args = ["--tier", "tiny", "--seed", str(SEED), "--format", fmt]
    direct, landed = ["--end-date", "2025-12-20", "--days", "20"], ["--end-date", "2025-12-19", "--days", "19"]
    assert simulate_main([*args, *direct, "--out", str(tmp_path / "direct" / "raw")]) == 0
    assert simulate_main([*args, *landed, "--out", str(tmp_path / "landed" / "raw")]) == 0
    assert simulate_main(["--land-next-day", "--out", str(tmp_path / "landed" / "raw")]) == 0
    assert checksum(tmp_path / "landed") == checksum(tmp_path / "direct")
