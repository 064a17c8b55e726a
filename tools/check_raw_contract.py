#!/usr/bin/env python3
# Vendored from ../shared/tools/check_raw_contract.py, the shared contract checker; changed here only to report
# unreadable files (a truncated or false gzip, a CSV not in UTF-8) instead of stopping with a traceback.
"""Check a raw landing folder against the contract in ../SPEC.md section 2.

usage: check_raw_contract.py RAW_DIR [--strict]

Reads every file, classifies each line as conforming or not (with the reason), and prints a table
per source. Dirty lines are expected in real data and in the sample data (the contract says so):
this tool reports them; it does not judge how many there should be. With --strict it exits 1 when
the folder layout itself is wrong (unknown source folders, files outside dt= partitions, wrong file
types, CSV headers that differ from the contract, files that cannot be read: a truncated gzip
`truncated_gzip`, a .gz that is not gzip `not_gzip`, a damaged one `corrupt_gzip`, text that is not
UTF-8 `not_utf8_file`; such a file is also counted under its reason, after the lines read before the
fault). Standard library only.
"""
import csv
import datetime as dt
import gzip
import io
import json
import os
import re
import sys
import zlib
from collections import Counter

SOURCES = {
    "events": "jsonl",
    "orders": "jsonl",
    "crm_members": "csv",
    "campaign_touches": "jsonl",
    "erasure_requests": "csv",
}
EVENTS = {"app_install", "app_start", "register", "login", "logout", "page_view", "product_view", "search",
          "add_to_cart", "favorite", "checkout", "pay_order", "refund", "share", "push_click", "coupon_claim",
          "bind_phone"}
CHANNELS = {"app_ios", "app_android", "web", "h5", "mini_program", "wechat_oa"}
IDENTITIES = {"device_id", "anonymous_id", "account_id", "openid", "unionid", "phone", "email"}
PROPERTIES = {"product_id", "category", "price", "quantity", "order_id", "amount", "currency", "search_term", "page",
              "referrer", "utm_source", "utm_medium", "utm_campaign", "campaign_id", "coupon_id"}
ORDER_STATUS = {"created", "paid", "shipped", "completed", "cancelled", "refunded"}
TOUCH_CHANNELS = {"push", "sms", "email", "wechat_template"}
CRM_COLUMNS = ["member_id", "account_id", "phone", "email", "unionid", "gender", "birth_date", "city", "member_level",
               "registered_at", "updated_at", "marketing_consent"]
ERASURE_COLUMNS = ["request_id", "identifier_type", "identifier_value", "requested_at"]
PARTITION = re.compile(r"^dt=\d{4}-\d{2}-\d{2}$")


def parse_time(value):
    """Event time: ISO-8601 with an offset, or integer epoch milliseconds. Returns aware datetime or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        try:
            return dt.datetime.fromtimestamp(value / 1000, tz=dt.timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        try:
            t = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return t if t.tzinfo else None
    return None


def plausible(t):
    return t is not None and dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc) <= t <= dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)


def amount_ok(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 or (isinstance(v, str) and re.fullmatch(r"\d+(\.\d+)?", v) is not None)


def check_event(o):
    if not isinstance(o, dict):
        return "not_an_object"
    if not isinstance(o.get("event_id"), str) or not o["event_id"]:
        return "missing_event_id"
    if o.get("event") not in EVENTS:
        return "unknown_event" if isinstance(o.get("event"), str) else "missing_event"
    t = parse_time(o.get("time"))
    if t is None:
        return "bad_time"
    if not plausible(t):
        return "implausible_time"
    if o.get("channel") not in CHANNELS:
        return "unknown_channel"
    ids = o.get("identities", {})
    if not isinstance(ids, dict) or set(ids) - IDENTITIES:
        return "unknown_identity_type"
    props = o.get("properties", {})
    if props is not None and (not isinstance(props, dict) or set(props) - PROPERTIES):
        return "unknown_property"
    return None


def check_order(o):
    if not isinstance(o, dict):
        return "not_an_object"
    for k in ("order_id", "status", "order_time", "updated_at"):
        if k not in o:
            return f"missing_{k}"
    if o["status"] not in ORDER_STATUS:
        return "unknown_status"
    if not amount_ok(o.get("amount")):
        return "bad_amount"
    if parse_time(o["order_time"]) is None or parse_time(o["updated_at"]) is None:
        return "bad_time"
    return None


def check_touch(o):
    if not isinstance(o, dict):
        return "not_an_object"
    for k in ("touch_id", "campaign_id", "identifier_type", "identifier_value", "arm", "sent_at"):
        if k not in o:
            return f"missing_{k}"
    if o.get("channel") not in TOUCH_CHANNELS:
        return "unknown_channel"
    if o["arm"] not in ("treatment", "control"):
        return "unknown_arm"
    if o["identifier_type"] not in IDENTITIES | {"member_id"}:
        return "unknown_identifier_type"
    return None


def unreadable_reason(error):
    """Why a file could not be read, for the report; None for an error that is not about the file."""
    if isinstance(error, UnicodeDecodeError):
        return "not_utf8_file"
    if isinstance(error, gzip.BadGzipFile):
        return "not_gzip"
    if isinstance(error, EOFError):
        return "truncated_gzip"
    if isinstance(error, zlib.error):
        return "corrupt_gzip"
    return None


def note_unreadable(error, rel_path, stats, layout):
    """Count an unreadable file under its reason and report it as a layout problem."""
    reason = unreadable_reason(error)
    if reason is None:
        raise error
    stats[f"bad:{reason}"] += 1
    layout.append(f"unreadable file ({reason}): {rel_path}")


def read_lines(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", errors="strict") as f:
        yield from f


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 2
    root, strict = argv[0], "--strict" in argv
    if not os.path.isdir(root):
        print(f"{root}: not a folder")
        return 1
    layout = []
    report = {}
    for name in sorted(os.listdir(root)):
        if name not in SOURCES:
            layout.append(f"unknown source folder: {name}")
    for source, kind in SOURCES.items():
        base = os.path.join(root, source)
        stats = Counter()
        if not os.path.isdir(base):
            report[source] = stats
            continue
        for dirpath, _, files in os.walk(base):
            rel = os.path.relpath(dirpath, base)
            for fn in sorted(files):
                path = os.path.join(dirpath, fn)
                if source != "erasure_requests" and (rel == "." or not PARTITION.match(rel.split(os.sep)[0])):
                    layout.append(f"file outside a dt= partition: {source}/{os.path.relpath(path, base)}")
                want = (".jsonl", ".jsonl.gz") if kind == "jsonl" else (".csv",)
                if not fn.endswith(want):
                    layout.append(f"unexpected file type: {source}/{os.path.relpath(path, base)}")
                    continue
                stats["files"] += 1
                rel_path = f"{source}/{os.path.relpath(path, base)}"
                if kind == "csv":
                    try:
                        with open(path, encoding="utf-8", newline="") as f:
                            rows = list(csv.reader(f))
                    except UnicodeDecodeError as error:
                        note_unreadable(error, rel_path, stats, layout)
                        continue
                    header = rows[0] if rows else []
                    expected = CRM_COLUMNS if source == "crm_members" else ERASURE_COLUMNS
                    if header != expected:
                        layout.append(f"CSV header differs from the contract: {source}/{fn}: {header}")
                    for row in rows[1:]:
                        stats["lines"] += 1
                        stats["ok" if len(row) == len(expected) else "bad:wrong_column_count"] += 1
                    continue
                check = {"events": check_event, "orders": check_order, "campaign_touches": check_touch}[source]
                try:
                    for line in read_lines(path):
                        if not line.strip():
                            stats["blank_lines"] += 1
                            continue
                        stats["lines"] += 1
                        try:
                            o = json.loads(line)
                        except json.JSONDecodeError:
                            stats["bad:malformed_json"] += 1
                            continue
                        why = check(o)
                        stats[f"bad:{why}" if why else "ok"] += 1
                except (UnicodeDecodeError, EOFError, zlib.error, gzip.BadGzipFile) as error:
                    note_unreadable(error, rel_path, stats, layout)
        report[source] = stats
    print(f"{'source':<18}{'files':>7}{'lines':>10}{'conforming':>12}  non-conforming by reason")
    for source, s in report.items():
        bad = ", ".join(f"{k[4:]} {v}" for k, v in sorted(s.items()) if k.startswith("bad:")) or "-"
        print(f"{source:<18}{s['files']:>7}{s['lines']:>10}{s['ok']:>12}  {bad}")
    for item in layout[:20]:
        print("layout:", item)
    if len(layout) > 20:
        print(f"layout: … {len(layout) - 20} more")
    return 1 if strict and layout else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
