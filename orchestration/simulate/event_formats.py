"""The events source in the other tracking formats of docs/event-formats.md.

`sensors` (Sensors Data / 神策 import-export JSON), `segment` (Segment spec JSON) and `table`
(Parquet files with Snowplow `atomic.events` columns) carry the same simulated events as the
landing contract: the same people, identifiers, times and properties, written as each tool's own
SDK or pipeline writes them. Orders, CRM, touches and erasures do not change. The same lines are
broken in every format (config.FORMAT_REASONS names each format's reason); duplicates are SDK
retries that repeat the whole record, so they repeat whatever the format's event id is made of.

Records are built one by one in Python (json.dumps), unlike the vectorised contract writer: fast
enough for the tiny and small tiers, minutes more on the large one.

What a record becomes (docs/event-formats.md, "What each record becomes"):
- sensors: `register` is a `track_signup` (`$SignUp`, `original_id` the anonymous or device id),
  `bind_phone` a `track_id_bind` (`$BindID`, not an event); each signup is followed by a
  `profile_set` of `member_level` (not an event). The event id is derived (`sensors_event_id`).
- segment: `page_view` is a `page` call on the web and in WeChat, a `screen` call in the apps;
  `bind_phone` an `identify` call with `traits.phone` (not an event); each `Signed Up` is followed
  by an `identify` of `member_level`. `messageId` is the contract event id.
- table: one row per event, `event_id` the contract event id; identifier types Snowplow has no
  column for go into the columns `phone`, `email`, `openid`, `unionid`.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections import Counter
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from . import config as C
from . import formats as F
from .model import PAGES, REFERRERS, SEARCH_TERMS, UTMS

if TYPE_CHECKING:
    from .writer import Writer

APP = (C.IOS, C.ANDROID)
WEBBY = (C.WEB, C.H5)
WX = (C.MINI, C.OA)
# channel -> the SDK that tracks it (WeChat official-account pages are H5 pages: the JS SDK)
SENSORS_LIB = {
    C.IOS: ("iOS", "4.7.2"),
    C.ANDROID: ("Android", "6.8.0"),
    C.WEB: ("js", "1.26.4"),
    C.H5: ("js", "1.26.4"),
    C.MINI: ("MiniProgram", "1.20.3"),
    C.OA: ("js", "1.26.4"),
}
SEGMENT_LIB = {
    C.IOS: ("analytics-ios", "4.1.8"),
    C.ANDROID: ("analytics-android", "4.11.3"),
    **dict.fromkeys((C.WEB, C.H5, C.MINI, C.OA), ("analytics.js", "2.1.1")),
}
SNOWPLOW_PLATFORM = {C.IOS: "mob", C.ANDROID: "mob", C.WEB: "web", C.H5: "web", C.MINI: "app", C.OA: "web"}
# Preset event names (seeds/tracking/event_name_map.csv maps them back); the rest keep their
# canonical snake_case name, as customers name their own events.
SEGMENT_NAMES = {
    "app_install": "Application Installed",
    "app_start": "Application Opened",
    "register": "Signed Up",
    "login": "Signed In",
    "logout": "Signed Out",
    "product_view": "Product Viewed",
    "search": "Products Searched",
    "add_to_cart": "Product Added",
    "favorite": "Product Added to Wishlist",
    "checkout": "Checkout Started",
    "pay_order": "Order Completed",
    "refund": "Order Refunded",
    "share": "Product Shared",
    "push_click": "Push Notification Tapped",
    "coupon_claim": "Coupon Applied",
}
TABLE_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("app_id", pa.string()),
        ("platform", pa.string()),
        ("collector_tstamp", pa.timestamp("ms", tz="UTC")),
        ("dvce_created_tstamp", pa.timestamp("ms", tz="UTC")),
        ("dvce_sent_tstamp", pa.timestamp("ms", tz="UTC")),
        ("derived_tstamp", pa.timestamp("ms", tz="UTC")),
        ("event", pa.string()),
        ("event_name", pa.string()),
        ("user_id", pa.string()),
        ("domain_userid", pa.string()),
        ("network_userid", pa.string()),
        ("page_urlpath", pa.string()),
        ("refr_urlhost", pa.string()),
        ("mkt_source", pa.string()),
        ("mkt_medium", pa.string()),
        ("mkt_campaign", pa.string()),
        ("tr_orderid", pa.string()),
        ("tr_total", pa.float64()),
        ("tr_currency", pa.string()),
        ("ti_sku", pa.string()),
        ("ti_category", pa.string()),
        ("ti_price", pa.float64()),
        ("ti_quantity", pa.int64()),
        ("search_term", pa.string()),
        ("coupon_id", pa.string()),
        ("campaign_id", pa.string()),
        ("phone", pa.string()),
        ("email", pa.string()),
        ("openid", pa.string()),
        ("unionid", pa.string()),
    ]
)
TIMESTAMPS = ("collector_tstamp", "dvce_created_tstamp", "dvce_sent_tstamp", "derived_tstamp")
PROFILE_LEVEL = "normal"  # the member level every new sign-up starts at (config.LEVELS[0])
UTC_1999, UTC_2099 = 946_684_799_000, 4_070_908_800_000  # 1999-12-31T23:59:59Z, 2099-01-01T00:00:00Z


def sensors_event_id(distinct_id: str, event: str, time: int, track_id: int) -> str:
    """The id docs/event-formats.md derives for a Sensors record (`event` or else `type`)."""
    return "sa-" + hashlib.md5(f"{distinct_id}|{event}|{time}|{track_id}".encode()).hexdigest()


def sensors_name(event: str, channel: int) -> str:
    if event == "app_install":
        return "$AppInstall"
    if event == "app_start":
        return "$MPLaunch" if channel == C.MINI else "$AppStart" if channel in APP else event
    if event == "page_view":
        return "$AppViewScreen" if channel in APP else "$MPViewScreen" if channel == C.MINI else "$pageview"
    if event == "share" and channel == C.MINI:
        return "$MPShare"
    if event == "push_click":
        return "$AppPushClick"
    return event


def _dump(o: object) -> str:
    return json.dumps(o, ensure_ascii=False, separators=(",", ":"))


def _money(cents: int) -> float:
    return cents / 100


# ---------------------------------------------------------------------- columns of a partition
def columns(w: Writer, e: dict, r: np.ndarray) -> dict[str, list]:
    """Python lists of every field a record needs, built column-wise with the contract's helpers."""
    g = {k: v[r] for k, v in e.items()}
    n = len(r)
    ch = g["channel"].astype(np.int64)
    did_kind = np.select([ch <= C.ANDROID, ch <= C.H5], [F.T_DEVICE, F.T_ANON], F.T_OPENID)
    c: dict[str, list] = {
        "eid": F.uuid_strings(g["hi"].view(np.uint64), g["lo"].view(np.uint64)).to_pylist(),
        "aux_id": F.uuid_strings(
            F.splitmix64(g["hi"].view(np.uint64)), F.splitmix64(g["lo"].view(np.uint64))
        ).to_pylist(),
        "track_id": (g["hi"].view(np.uint64) >> np.uint64(33)).astype(np.int64).tolist(),
        "event": F.take(C.EVENTS, g["etype"]).to_pylist(),
        "channel": ch.tolist(),
        "rec": g["rec"].tolist(),
        "ms": g["ms"].astype(np.int64).tolist(),
        "client": (g["ms"] + g["skew"]).astype(np.int64).tolist(),
        "recv": g["recv"].astype(np.int64).tolist(),
        "sent": (g["recv"] + g["skew"]).astype(np.int64).tolist(),
        "ios": w.sim.ios[g["person"]].tolist(),
        "did": w.mixed(did_kind, g["did"], np.zeros(n, dtype=np.int8)).to_pylist(),
        "product": [f"SKU{p:06d}" if p >= 0 else None for p in g["p_product"].tolist()],
        "category": [C.CATEGORIES[w.sim.product_category[p]] if p >= 0 else None for p in g["p_product"].tolist()],
        "price": g["p_price"].tolist(),
        "qty": g["p_qty"].tolist(),
        "order": w.order_ids(g["p_order"].astype(np.int64)).to_pylist(),
        "amount": g["p_amount"].tolist(),
        "search": [SEARCH_TERMS[i] if i >= 0 else None for i in g["p_search"].tolist()],
        "page": [PAGES[i] if i >= 0 else None for i in g["p_page"].tolist()],
        "ref": [REFERRERS[i] if i >= 0 else None for i in g["p_ref"].tolist()],
        "utm": [UTMS[i] if i >= 0 else None for i in g["p_utm"].tolist()],
        "campaign": [f"CMP{i + 1:03d}" if i >= 0 else None for i in g["p_campaign"].tolist()],
        "coupon": [f"CPN{i:04d}" if i >= 0 else None for i in g["p_coupon"].tolist()],
    }
    for slot, kind in (
        ("dev", F.T_DEVICE),
        ("anon", F.T_ANON),
        ("acct", F.T_ACCOUNT),
        ("open", F.T_OPENID),
        ("union", F.T_UNIONID),
        ("phone", F.T_PHONE),
        ("email", F.T_EMAIL),
    ):
        c[slot] = w.value(kind, g[f"id_{slot}"], g[f"var_{slot}"]).to_pylist()
    var = g["var_acct"]
    real_login = ((g["id_acct"] >= 0) & ((var < 1) | (var > 7))).tolist()
    c["login"] = [a if real else None for a, real in zip(c["acct"], real_login, strict=True)]
    # an openid belongs to the app it was issued by (formats.EntityFormatter.normalised)
    c["open_app"] = [C.APP_IDS[C.OA if i & 1 else C.MINI] for i in g["id_open"].tolist()]
    for key in ("ms", "client", "recv", "sent"):
        c[f"{key}_iso"] = F.iso_utc(np.asarray(c[key], dtype=np.int64)).to_pylist()
    return c


def _campaign(c: dict, i: int) -> tuple[str, str, str] | None:
    """utm source, medium, campaign: a web entry's utm, or the push campaign a push click came from."""
    if c["utm"][i]:
        return c["utm"][i]
    if c["campaign"][i]:
        return ("push", "push", c["campaign"][i])
    return None


# ---------------------------------------------------------------------- sensors
def sensors_record(c: dict, i: int) -> dict:
    ch, did, login = c["channel"][i], c["did"][i], c["login"][i]
    lib, version = SENSORS_LIB[ch]
    libs = {"$lib": lib, "$lib_version": version, "$lib_method": "code"}
    distinct = login or did
    if c["rec"][i]:  # the profile of a new sign-up
        return {
            "_track_id": c["track_id"][i] ^ 0x5A5A5A5A,
            "type": "profile_set",
            "time": c["client"][i],
            "recv_time": c["recv"][i],
            "distinct_id": login,
            "identities": {"$identity_login_id": login},
            "lib": libs,
            "properties": {"member_level": PROFILE_LEVEL},
        }
    ids: dict[str, str] = {}
    if c["acct"][i] is not None:
        ids["$identity_login_id"] = c["acct"][i]
    dev, anon = c["dev"][i], c["anon"][i]
    if ch == C.IOS:
        ids["$identity_idfv"] = did
        if dev != did:  # limited ad tracking: the SDK sends the all-zero IDFA
            ids["$identity_idfa"] = dev
    elif ch == C.ANDROID:
        ids["$identity_android_id"] = dev
        if dev != did:  # an invalid android_id: the SDK falls back to its own uuid
            ids["$identity_android_uuid"] = did
    elif ch in WEBBY:
        ids["$identity_cookie_id"] = did
        if anon != did:
            ids["$identity_anonymous_id"] = anon
    if c["open"][i] is not None:
        ids[f"$identity_mp_{c['open_app'][i]}_openid"] = c["open"][i]
    for slot, key in (("union", "$identity_mp_unionid"), ("phone", "$identity_mobile"), ("email", "$identity_email")):
        if c[slot][i] is not None:
            ids[key] = c[slot][i]
    event = c["event"][i]
    if event == "register":
        kind, name = "track_signup", "$SignUp"
    elif event == "bind_phone":
        kind, name = "track_id_bind", "$BindID"
    else:
        kind, name = "track", sensors_name(event, ch)
    os_name = "iOS" if ch == C.IOS else "Android" if ch == C.ANDROID else None
    if os_name is None:
        os_name = ("Mac" if c["ios"][i] else "Windows") if ch == C.WEB else ("iOS" if c["ios"][i] else "Android")
    props: dict[str, Any] = {"$lib": lib, "$lib_version": version, "$app_id": C.APP_IDS[ch], "$os": os_name}
    if c["product"][i]:
        props["product_id"], props["category"] = c["product"][i], c["category"][i]
    if c["price"][i] >= 0:
        props["price"] = _money(c["price"][i])
    if c["qty"][i] > 0:
        props["quantity"] = c["qty"][i]
    if c["order"][i]:
        props.update(order_id=c["order"][i], amount=_money(c["amount"][i]), currency="CNY")
    if c["search"][i]:
        props["search_term"] = c["search"][i]
    if c["page"][i]:
        props["$screen_name" if ch in APP else "$url_path"] = c["page"][i]
    if c["ref"][i]:
        props["$referrer"] = c["ref"][i]
    utm = _campaign(c, i)
    if utm:
        props.update({"$utm_source": utm[0], "$utm_medium": utm[1], "$utm_campaign": utm[2]})
    if c["campaign"][i]:
        props["campaign_id"] = c["campaign"][i]
    if c["coupon"][i]:
        props["coupon_id"] = c["coupon"][i]
    record: dict[str, Any] = {
        "_track_id": c["track_id"][i],
        "type": kind,
        "event": name,
        "time": c["client"][i],
        "recv_time": c["recv"][i],
        "distinct_id": distinct,
    }
    if kind == "track_signup":
        record["original_id"] = did
    record.update(identities=ids, lib=libs, properties=props)
    return record


def sensors_key(o: dict) -> str:
    return sensors_event_id(o["distinct_id"], o.get("event") or o["type"], o["time"], o["_track_id"])


# ---------------------------------------------------------------------- segment
def segment_record(c: dict, i: int) -> dict:
    ch, did = c["channel"][i], c["did"][i]
    lib, version = SEGMENT_LIB[ch]
    context: dict[str, Any] = {"library": {"name": lib, "version": version}, "app": {"namespace": C.APP_IDS[ch]}}
    times = {
        "timestamp": c["ms_iso"][i],  # corrected for the client clock, as Segment computes it
        "originalTimestamp": c["client_iso"][i],
        "sentAt": c["sent_iso"][i],
        "receivedAt": c["recv_iso"][i],
    }
    if c["rec"][i]:  # the profile of a new sign-up
        return {
            "messageId": c["aux_id"][i],
            "type": "identify",
            "userId": c["login"][i],
            "anonymousId": did,
            **times,
            "context": context,
            "traits": {"member_level": PROFILE_LEVEL},
        }
    event = c["event"][i]
    record: dict[str, Any] = {"messageId": c["eid"][i]}
    if event == "page_view":
        record.update(type="screen" if ch in APP else "page", name=c["page"][i])
    elif event == "bind_phone":
        record["type"] = "identify"
    else:
        record.update(type="track", event=SEGMENT_NAMES.get(event, event))
    if c["acct"][i] is not None:
        record["userId"] = c["acct"][i]
    record["anonymousId"] = did
    record.update(times)
    if ch in APP:
        context["device"] = {"id": did}
        if c["dev"][i] != did and ch == C.IOS:
            context["device"].update(advertisingId=c["dev"][i], adTrackingEnabled=False)
    traits = {k: c[k][i] for k in ("phone", "email") if c[k][i] is not None}
    if traits and record["type"] != "identify":
        context["traits"] = traits
    external = [(c["open"][i], "wechat_openid"), (c["union"][i], "wechat_unionid")]
    if any(v is not None for v, _ in external):
        context["externalIds"] = [
            {"id": v, "type": t, "collection": "users", "encoding": "none"} for v, t in external if v is not None
        ]
    utm = _campaign(c, i)
    if utm:
        context["campaign"] = {"source": utm[0], "medium": utm[1], "name": utm[2]}
    record["context"] = context
    if record["type"] == "identify":
        record["traits"] = traits
        return record
    props: dict[str, Any] = {}
    if record["type"] != "track":
        props["path"] = c["page"][i]
        if c["ref"][i]:
            props["referrer"] = c["ref"][i]
    if c["product"][i]:
        props["product_id"], props["category"] = c["product"][i], c["category"][i]
    if c["price"][i] >= 0:
        props["price"] = _money(c["price"][i])
    if c["qty"][i] > 0:
        props["quantity"] = c["qty"][i]
    if c["order"][i]:
        props.update(order_id=c["order"][i], total=_money(c["amount"][i]), currency="CNY")
    if c["search"][i]:
        props["query"] = c["search"][i]
    if c["campaign"][i]:
        props["campaign_id"] = c["campaign"][i]
    if c["coupon"][i]:
        props["coupon"] = c["coupon"][i]
    record["properties"] = props
    return record


# ---------------------------------------------------------------------- table
def table_record(c: dict, i: int) -> dict:
    ch, did = c["channel"][i], c["did"][i]
    utm = _campaign(c, i) or (None, None, None)
    ref = c["ref"][i]
    return {
        "event_id": c["eid"][i],
        "app_id": C.APP_IDS[ch],
        "platform": SNOWPLOW_PLATFORM[ch],
        "collector_tstamp": c["recv"][i],
        "dvce_created_tstamp": c["client"][i],
        "dvce_sent_tstamp": c["sent"][i],
        # collector time minus the device's own send delay: corrected for the client clock
        "derived_tstamp": c["ms"][i],
        "event": "page_view" if c["event"][i] == "page_view" else "unstruct",
        "event_name": c["event"][i],
        "user_id": c["acct"][i],
        "domain_userid": did if ch in WEBBY else None,
        "network_userid": did if ch in APP else None,
        "page_urlpath": c["page"][i],
        "refr_urlhost": ref.split("/")[2] if ref else None,
        "mkt_source": utm[0],
        "mkt_medium": utm[1],
        "mkt_campaign": utm[2],
        "tr_orderid": c["order"][i],
        "tr_total": _money(c["amount"][i]) if c["order"][i] else None,
        "tr_currency": "CNY" if c["order"][i] else None,
        "ti_sku": c["product"][i],
        "ti_category": c["category"][i],
        "ti_price": _money(c["price"][i]) if c["price"][i] >= 0 else None,
        "ti_quantity": c["qty"][i] or None,
        "search_term": c["search"][i],
        "coupon_id": c["coupon"][i],
        "campaign_id": c["campaign"][i],
        "phone": c["phone"][i],
        "email": c["email"][i],
        "openid": c["open"][i],
        "unionid": c["union"][i],
    }


def table_of(rows: list[dict]) -> pa.Table:
    cols = {}
    for f in TABLE_SCHEMA:
        values = [r[f.name] for r in rows]
        if f.name in TIMESTAMPS:
            cols[f.name] = pa.array(values, pa.int64()).cast(f.type)
        else:
            cols[f.name] = pa.array(values, f.type)
    return pa.table(cols, schema=TABLE_SCHEMA)


# ---------------------------------------------------------------------- broken records
def _choice(rng: np.random.Generator, options: list) -> Any:
    return options[int(rng.integers(len(options)))]


def _bad_time_text(rng: np.random.Generator) -> str:
    return _choice(rng, ["yesterday", "2026-13-45T99:00:00.000Z", "", "N/A", "2026-02-30T25:61:00.000Z"])


def _bad_amount(rng: np.random.Generator, props: dict, keys: tuple[str, str]) -> None:
    key = keys[0] if keys[0] in props else keys[1]
    props[key] = _choice(rng, [-abs(props[key]) or -1.0, "abc", "N/A", "12,5"])


def mutate_json(fmt: str, rng: np.random.Generator, reason: str, o: dict) -> str:
    """One good Sensors or Segment record broken so that `reason` is its first failing check."""
    from .writer import _not_object, _truncate

    if reason == "malformed_json":
        return _truncate(rng, _dump(o))
    if reason == "not_an_object":
        return _not_object(rng, o)
    sensors = fmt == "sensors"
    if reason == "unknown_record_type":
        options = ["trak", "Track", "event", "signup", "track_event"] if sensors else ["Track", "event", "trak"]
        o["type"] = _choice(rng, options if sensors else [*options, "pageview", "capture"])
    elif reason == "missing_event_id":
        if sensors:  # no event id to derive: the record keeps its identities but names no distinct_id
            del o["distinct_id"]
        elif rng.random() < 0.7:
            del o["messageId"]
        else:
            o["messageId"] = ""
    elif reason == "missing_event":
        if not sensors and o["type"] != "track":  # a track call that names no event
            o["type"] = "track"
            o.pop("name", None)
        o.pop("event", None)
    elif reason == "missing_identity":
        for key in ("distinct_id", "original_id", "identities", "userId", "anonymousId"):
            o.pop(key, None)
    elif reason == "bad_time":
        if sensors:
            if rng.random() < 0.3:
                del o["time"]
            else:
                o["time"] = _choice(rng, ["yesterday", "", "N/A", "2026-13-45 99:00:00"])
        elif rng.random() < 0.3:
            del o["timestamp"], o["originalTimestamp"]
        else:
            o["timestamp"] = o["originalTimestamp"] = _bad_time_text(rng)
    elif reason == "implausible_time":
        if sensors:
            o["time"] = _choice(rng, [915_148_800_000, UTC_1999, 4_102_444_800_000])
        else:
            o["timestamp"] = o["originalTimestamp"] = _choice(
                rng, ["1999-12-31T23:59:59.000Z", "2099-01-01T00:00:00.000Z", "1970-01-01T00:00:00.000Z"]
            )
    elif reason == "bad_amount":
        _bad_amount(rng, o["properties"], ("amount", "price") if sensors else ("total", "price"))
    return _dump(o)


def mutate_row(rng: np.random.Generator, reason: str, row: dict) -> dict:
    """One good table row broken so that `reason` is its first failing check."""
    if reason == "missing_event_id":
        row["event_id"] = _choice(rng, [None, ""])
    elif reason == "missing_event":
        row["event_name"] = _choice(rng, [None, ""])
    elif reason == "missing_identity":
        for key in ("user_id", "domain_userid", "network_userid", "phone", "email", "openid", "unionid"):
            row[key] = None
    elif reason == "bad_time":
        for key in TIMESTAMPS:
            row[key] = None
    elif reason == "implausible_time":
        row["derived_tstamp"] = row["dvce_created_tstamp"] = _choice(rng, [UTC_1999, UTC_2099, 0])
    elif reason == "bad_amount":
        key = "tr_total" if row["tr_total"] is not None else "ti_price"
        row[key] = -abs(row[key]) or -1.0
    return row


# ---------------------------------------------------------------------- the events source
BUILD = {"sensors": sensors_record, "segment": segment_record, "table": table_record}


def kind_of(fmt: str, o: dict) -> str:
    """record_kind of a good record (docs/event-formats.md)."""
    t = o.get("type", "track")
    if t in ("track", "track_signup", "page", "screen"):
        return "event"
    if t in ("track_id_bind", "alias"):
        return "identity_link"
    return "profile_update"


def key_of(fmt: str, o: dict) -> str:
    return sensors_key(o) if fmt == "sensors" else o["messageId"] if fmt == "segment" else o["event_id"]


def with_profiles(fmt: str, e: dict) -> dict:
    """Each accepted sign-up of a logged-in account is followed by a profile record (JSON formats)."""
    e["rec"] = np.zeros(len(e["person"]), dtype=np.int8)
    if fmt == "table":
        return e
    var = e["var_acct"]
    signup = (
        (e["etype"] == C.EV["register"])
        & (e["bad"] == 0)
        & (e["copy"] == 0)
        & (e["id_acct"] >= 0)
        & ((var < 1) | (var > 7))
    )
    i = np.flatnonzero(signup)
    out = {k: np.concatenate([v, v[i]]) for k, v in e.items()}
    out["rec"][len(e["person"]) :] = 1
    return out


def write_events(w: Writer, e: dict) -> None:
    fmt = w.events_format
    e = with_profiles(fmt, e)
    parts = w.partitions(e["recv"], e["copy"])
    reasons = w.reason_names("events")
    build = BUILD[fmt]
    w.truth.mkdir(parents=True, exist_ok=True)
    sink: list[pq.ParquetWriter] = []
    kinds: Counter = Counter()
    for day, rows in parts:
        w.account("events", day, rows, e["bad"], e["copy"])
        ok = rows[e["bad"][rows] == 0]
        w._event_usage(e, ok[e["rec"][ok] == 0])  # a profile repeats its sign-up's account
        c = columns(w, e, rows)
        recs = [build(c, i) for i in range(len(rows))]
        first = []
        for i, (bad, copy) in enumerate(zip(e["bad"][rows].tolist(), e["copy"][rows].tolist(), strict=True)):
            if bad == 0 and copy == 0:
                kind = kind_of(fmt, recs[i])
                kinds[kind] += 1
                if kind == "event":
                    first.append(i)
        sel = rows[first]
        table = pa.table(
            {
                "event_id": pa.array([key_of(fmt, recs[i]) for i in first], pa.string()),
                "person_id": e["person"][sel].astype(np.int64),
                "event": F.take(C.EVENTS, e["etype"][sel]),
                "channel": F.take(C.CHANNELS, e["channel"][sel]),
                "event_at": pa.array(e["ms"][sel].astype("datetime64[ms]")).cast(pa.timestamp("ms", tz="UTC")),
            }
        )
        if not sink:
            sink.append(pq.ParquetWriter(w.truth / "events.parquet", table.schema, compression="zstd"))
        sink[0].write_table(table)
        if day < w.write_from:
            continue
        rng = w._rng("events", day)
        out: list[Any] = []
        for i, bad in enumerate(e["bad"][rows].tolist()):
            if fmt == "table":
                out.append(mutate_row(rng, reasons[bad - 1], recs[i]) if bad else recs[i])
            else:
                out.append(mutate_json(fmt, rng, reasons[bad - 1], recs[i]) if bad else _dump(recs[i]))
        for rel, lo, hi in w.files("events", day, len(rows)):
            path = w.out / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if fmt == "table":
                pq.write_table(table_of(out[lo:hi]), path, compression="zstd")
                continue
            data = ("\n".join(out[lo:hi]) + "\n").encode()
            path.write_bytes(gzip.compress(data, compresslevel=1, mtime=0) if rel.endswith(".gz") else data)
    if sink:
        sink[0].close()
    w.events_by_kind = dict(sorted(kinds.items()))
