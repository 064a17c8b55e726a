"""The sample-data simulator: contract layout, determinism, dirt, and a ground truth that adds up.

Every reject reason is re-derived here by a classifier written independently of the simulator,
straight from the rules in the brief (first failing check wins), so a mutation that breaks two
rules, or none, fails the test.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import io
import json
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from orchestration.simulate import default_truth_dir, generate, land_next_day

ROOT = Path(__file__).resolve().parents[2]
CHECKER = ROOT / "tools" / "check_raw_contract.py"
SEED = 7
UTC = dt.UTC

EVENTS = set(
    [
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
    ]
)
CHANNELS = {"app_ios", "app_android", "web", "h5", "mini_program", "wechat_oa"}
IDENTITIES = {"device_id", "anonymous_id", "account_id", "openid", "unionid", "phone", "email"}
PROPERTIES = set(
    [
        "product_id",
        "category",
        "price",
        "quantity",
        "order_id",
        "amount",
        "currency",
        "search_term",
        "page",
        "referrer",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "campaign_id",
        "coupon_id",
    ]
)
STATUSES = {"created", "paid", "shipped", "completed", "cancelled", "refunded"}
TOUCH_CHANNELS = {"push", "sms", "email", "wechat_template"}
PLACEHOLDERS = {"0", "-1", "null", "unknown", "00000000000", "", "00000000-0000-0000-0000-000000000000"}
CRM_WIDTH, ERASURE_WIDTH = 12, 4
# reasons the shared checker can see; the others need parsing it does not do (amounts on events
# and touches, CRM and erasure fields, touch times)
CHECKER_SEES = {
    "events": {
        "malformed_json",
        "not_an_object",
        "missing_event_id",
        "missing_event",
        "unknown_event",
        "bad_time",
        "implausible_time",
        "unknown_channel",
        "unknown_identity_type",
        "unknown_property",
    },
    "orders": {
        "malformed_json",
        "not_an_object",
        "missing_order_id",
        "missing_status",
        "missing_order_time",
        "missing_updated_at",
        "unknown_status",
        "bad_amount",
        "bad_time",
    },
    "crm_members": {"wrong_column_count"},
    "campaign_touches": {
        "malformed_json",
        "not_an_object",
        "missing_touch_id",
        "missing_campaign_id",
        "missing_identifier_type",
        "missing_identifier_value",
        "missing_arm",
        "missing_sent_at",
        "unknown_channel",
        "unknown_arm",
        "unknown_identifier_type",
    },
    "erasure_requests": {"wrong_column_count"},
}


def quiet(_: str) -> None:
    pass


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sim") / "a"
    generate("tiny", SEED, root / "raw", log=quiet)
    return root


def digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()
    }


def read_text(path: Path) -> str:
    data = path.read_bytes()
    return (gzip.decompress(data) if path.name.endswith(".gz") else data).decode("utf-8")


def raw_lines(raw: Path, source: str) -> list[tuple[str, int, str]]:
    """(file relative to raw, 1-based physical line number, text) for every data line of a source."""
    out = []
    for path in sorted((raw / source).rglob("*")):
        if path.is_file():
            rel = str(path.relative_to(raw))
            lines = read_text(path).split("\n")
            assert lines[-1] == "", f"{rel} must end with a newline"
            first = 2 if path.suffix == ".csv" else 1
            for n, line in enumerate(lines[first - 1 : -1], start=first):
                out.append((rel, n, line))
    return out


def truth(root: Path, name: str) -> list[dict]:
    return pq.read_table(root / "truth" / f"{name}.parquet").to_pylist()


# ---------------------------------------------------------------------- independent classifier
def ts(value: object) -> dt.datetime | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        try:
            return dt.datetime.fromtimestamp(value / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        try:
            t = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return t if t.tzinfo else None
    return None


def bad_number(value: object) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, int | float):
        return value < 0
    if isinstance(value, str):
        return re.fullmatch(r"\d+(\.\d+)?", value.strip()) is None
    return value is not None


def missing(o: dict, key: str) -> bool:
    return o.get(key) in (None, "")


def load(line: str) -> tuple[object, str | None]:
    try:
        o = json.loads(line)
    except json.JSONDecodeError:
        return None, "malformed_json"
    return o, None if isinstance(o, dict) else "not_an_object"


def classify_event(line: str) -> str | None:
    o, why = load(line)
    if why:
        return why
    if missing(o, "event_id") or not isinstance(o["event_id"], str):
        return "missing_event_id"
    if missing(o, "event"):
        return "missing_event"
    if o["event"] not in EVENTS:
        return "unknown_event"
    t = ts(o.get("time"))
    if t is None:
        return "bad_time"
    received = ts(o.get("received_at"))
    if t < dt.datetime(2000, 1, 1, tzinfo=UTC) or (received and t > received + dt.timedelta(days=1)):
        return "implausible_time"
    if o.get("channel") not in CHANNELS:
        return "unknown_channel"
    if set(o.get("identities") or {}) - IDENTITIES:
        return "unknown_identity_type"
    props = o.get("properties") or {}
    if set(props) - PROPERTIES:
        return "unknown_property"
    if any(k in props and bad_number(props[k]) for k in ("amount", "price")):
        return "bad_amount"
    return None


def classify_order(line: str) -> str | None:
    o, why = load(line)
    if why:
        return why
    for key in ("order_id", "status", "order_time", "updated_at"):
        if missing(o, key):
            return f"missing_{key}"
    if o["status"] not in STATUSES:
        return "unknown_status"
    if "amount" not in o or bad_number(o["amount"]):
        return "bad_amount"
    if ts(o["order_time"]) is None or ts(o["updated_at"]) is None:
        return "bad_time"
    return None


def classify_touch(line: str) -> str | None:
    o, why = load(line)
    if why:
        return why
    for key in ("touch_id", "campaign_id", "identifier_type", "identifier_value", "arm", "sent_at"):
        if missing(o, key):
            return f"missing_{key}"
    if o.get("channel") not in TOUCH_CHANNELS:
        return "unknown_channel"
    if o["arm"] not in ("treatment", "control"):
        return "unknown_arm"
    if o["identifier_type"] not in IDENTITIES | {"member_id"}:
        return "unknown_identifier_type"
    if ts(o["sent_at"]) is None:
        return "bad_time"
    if bad_number(o.get("cost")):
        return "bad_amount"
    return None


def classify_crm(line: str) -> str | None:
    row = next(csv.reader(io.StringIO(line)))
    if len(row) != CRM_WIDTH:
        return "wrong_column_count"
    if row[0] == "":
        return "missing_member_id"
    if ts(row[10]) is None:
        return "bad_time"
    return None


def classify_erasure(line: str) -> str | None:
    row = next(csv.reader(io.StringIO(line)))
    if len(row) != ERASURE_WIDTH:
        return "wrong_column_count"
    if row[0] == "":
        return "missing_request_id"
    if row[1] not in IDENTITIES | {"member_id"}:
        return "unknown_identifier_type"
    if ts(row[3]) is None:
        return "bad_time"
    return None


CLASSIFIERS = {
    "events": classify_event,
    "orders": classify_order,
    "crm_members": classify_crm,
    "campaign_touches": classify_touch,
    "erasure_requests": classify_erasure,
}


def expected_duplicates(raw: Path, source: str, rejected: set) -> set[tuple[str, int]]:
    """Later copies of a record, found without the simulator: same key, ordered by time, file, line."""
    groups = defaultdict(list)
    for rel, n, line in raw_lines(raw, source):
        if (rel, n) in rejected:
            continue
        if source == "crm_members":
            row = next(csv.reader(io.StringIO(line)))
            key, when = (row[0], row[10]), ts(row[10])
        else:
            o = json.loads(line)
            if source == "events":
                key, when = o["event_id"], ts(o["received_at"])
            elif source == "orders":
                key, when = (o["order_id"], o["status"], o["updated_at"]), ts(o["updated_at"])
            else:
                key, when = o["touch_id"], ts(o["sent_at"])
        groups[key].append((when, rel, n, line))
    dups = set()
    for copies in groups.values():
        copies.sort()
        dups |= {(rel, n) for _, rel, n, _ in copies[1:]}
    return dups


# ---------------------------------------------------------------------- tests
def test_layout_and_no_blank_lines(sample: Path) -> None:
    raw = sample / "raw"
    assert sorted(p.name for p in raw.iterdir()) == sorted(CLASSIFIERS)
    for source in ("events", "orders", "crm_members", "campaign_touches"):
        for part in (raw / source).iterdir():
            assert re.fullmatch(r"dt=\d{4}-\d{2}-\d{2}", part.name)
            for f in part.iterdir():
                assert re.fullmatch(r"part-\d+\.(jsonl|jsonl\.gz|csv)", f.name)
                assert "\n\n" not in read_text(f) and not read_text(f).startswith("\n")
    assert any(raw.glob("events/*/*.jsonl.gz")) and any(raw.glob("events/*/*.jsonl"))
    assert any(raw.glob("orders/*/*.jsonl.gz"))
    header = read_text(next(raw.glob("crm_members/*/part-0.csv"))).split("\n")[0]
    assert header == (
        "member_id,account_id,phone,email,unionid,gender,birth_date,city,member_level,"
        "registered_at,updated_at,marketing_consent"
    )
    assert read_text(raw / "erasure_requests" / "requests.csv").startswith(
        "request_id,identifier_type,identifier_value,requested_at\n"
    )
    assert default_truth_dir(raw) == sample / "truth"
    m = json.loads((sample / "truth" / "manifest.json").read_text())
    assert (m["tier"], m["seed"], m["end_date"], m["days"]) == ("tiny", SEED, "2026-03-31", 120)


def test_same_seed_gives_identical_bytes(sample: Path, tmp_path: Path) -> None:
    generate("tiny", SEED, tmp_path / "raw", log=quiet)
    assert digests(tmp_path) == digests(sample)


def test_different_seed_gives_different_data(sample: Path, tmp_path: Path) -> None:
    generate("tiny", SEED + 1, tmp_path / "raw", log=quiet)
    mine, other = digests(sample), digests(tmp_path)
    shared = [k for k in mine if k.startswith("raw/events/") and k in other]
    assert shared and all(mine[k] != other[k] for k in shared)


def test_checker_passes_strict_and_agrees_with_truth(sample: Path) -> None:
    res = subprocess.run(
        [sys.executable, str(CHECKER), str(sample / "raw"), "--strict"], capture_output=True, text=True
    )
    assert res.returncode == 0, res.stdout
    assert "layout:" not in res.stdout
    truth_counts = Counter((b["source"], b["reason"]) for b in truth(sample, "bad_lines"))
    manifest = json.loads((sample / "truth" / "manifest.json").read_text())
    for row in res.stdout.splitlines()[1:]:
        m = re.match(r"(\w+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(.*)$", row)
        assert m, row
        source, lines = m.group(1), int(m.group(3))
        assert lines == manifest["sources"][source]["lines"]
        seen = dict((k, int(v)) for k, v in re.findall(r"(\w+) (\d+)", m.group(5)))
        expected = {r: n for (s, r), n in truth_counts.items() if s == source and r in CHECKER_SEES[source]}
        assert seen == expected, source


def test_every_reason_and_duplicate_kind_occurs(sample: Path) -> None:
    from orchestration.simulate.config import REASONS

    found = defaultdict(set)
    for b in truth(sample, "bad_lines"):
        found[b["source"]].add(b["reason"])
    for source, reasons in REASONS.items():
        assert set(reasons) <= found[source], (source, set(reasons) - found[source])
    for source in ("events", "orders", "crm_members", "campaign_touches"):
        assert "duplicate" in found[source], source
    events = json.loads((sample / "truth" / "manifest.json").read_text())["sources"]["events"]
    assert 0.003 < sum(events["bad_by_reason"].values()) / events["lines"] < 0.02


def test_bad_lines_and_duplicates_reclassified_independently(sample: Path) -> None:
    raw = sample / "raw"
    listed = defaultdict(dict)
    for b in truth(sample, "bad_lines"):
        listed[b["source"]][(b["file"], b["line_number"])] = b["reason"]
    for source, classify in CLASSIFIERS.items():
        rejected = {}
        for rel, n, line in raw_lines(raw, source):
            reason = classify(line)
            if reason:
                rejected[(rel, n)] = reason
        truth_rejects = {k: v for k, v in listed[source].items() if v != "duplicate"}
        assert rejected == truth_rejects, source
        if source != "erasure_requests":
            dups = {k for k, v in listed[source].items() if v == "duplicate"}
            assert dups == expected_duplicates(raw, source, set(rejected)), source


def test_event_retries_are_identical_but_for_received_at(sample: Path) -> None:
    raw = sample / "raw"
    by_id = defaultdict(list)
    for rel, _, line in raw_lines(raw, "events"):
        if classify_event(line) is None:
            o = json.loads(line)
            by_id[o["event_id"]].append((rel, o))
    retries = [copies for copies in by_id.values() if len(copies) > 1]
    assert retries
    for copies in retries:
        bodies = [{k: v for k, v in o.items() if k != "received_at"} for _, o in copies]
        assert all(b == bodies[0] for b in bodies)
    assert any(len({rel for rel, _ in copies}) > 1 for copies in retries), "a retry landing in a later partition"
    assert any(len({o["received_at"] for _, o in copies}) == 1 for copies in retries), "a same-instant retry"


def normalise(kind: str, value: str, app_id: str | None = None) -> str | None:
    if value.strip() in PLACEHOLDERS:
        return None
    if kind == "phone":
        digits = re.sub(r"\D", "", value)
        digits = re.sub(r"^(0086|86)(?=1\d{10}$)", "", digits)
        return digits
    if kind == "email":
        return value.strip().lower()
    if kind == "openid":
        return f"{app_id}/{value}"
    return value


def test_truth_is_consistent_with_the_raw_data(sample: Path) -> None:
    raw = sample / "raw"
    persons = {p["person_id"] for p in truth(sample, "persons")}
    ids = truth(sample, "identifiers")
    assert ids and {i["person_id"] for i in ids} <= persons
    have = {(i["person_id"], i["identifier_type"], i["identifier_value"]) for i in ids}
    assert len(have) == len(ids), "one row per (person, identifier)"
    for i in ids:
        v = i["identifier_value"]
        assert v.strip() not in PLACEHOLDERS
        if i["identifier_type"] == "phone":
            assert re.fullmatch(r"1\d{10}", v)
        if i["identifier_type"] == "email":
            assert v == v.strip().lower()
        if i["identifier_type"] == "openid":
            assert "/" in v
    owner = {e["event_id"]: e["person_id"] for e in truth(sample, "events")}
    assert len(owner) == len(truth(sample, "events"))
    accepted = set()
    for _, _, line in raw_lines(raw, "events"):
        if classify_event(line):
            continue
        o = json.loads(line)
        accepted.add(o["event_id"])
        person = owner[o["event_id"]]
        for kind, value in o["identities"].items():
            norm = normalise(kind, value, o["app_id"])
            if norm is not None:
                assert (person, kind, norm) in have, (kind, value)
    assert accepted == set(owner)
    orders = {o["order_id"]: o["person_id"] for o in truth(sample, "orders")}
    for _, _, line in raw_lines(raw, "orders"):
        if classify_order(line) is None:
            o = json.loads(line)
            assert (orders[o["order_id"]], "account_id", o["account_id"]) in have
    touches = {t["touch_id"]: t["person_id"] for t in truth(sample, "touches")}
    for _, _, line in raw_lines(raw, "campaign_touches"):
        if classify_touch(line) is None:
            t = json.loads(line)
            norm = normalise(t["identifier_type"], t["identifier_value"], "wx2b7e9d1c4a6f8e03")
            assert (touches[t["touch_id"]], t["identifier_type"], norm) in have
    erasures = truth(sample, "erasures")
    assert 2 <= len(erasures) <= 3
    for e in erasures:
        assert (e["person_id"], e["identifier_type"], e["identifier_value"]) in have


def test_campaigns_have_real_and_null_effects(sample: Path) -> None:
    campaigns = truth(sample, "campaigns")
    assert any(c["true_effect"] > 0 for c in campaigns) and any(c["true_effect"] == 0 for c in campaigns)
    assert {c["channel"] for c in campaigns} == TOUCH_CHANNELS
    arms = Counter((t["campaign_id"], t["arm"]) for t in truth(sample, "touches"))
    for c in campaigns:
        treated, control = arms[(c["campaign_id"], "treatment")], arms[(c["campaign_id"], "control")]
        if treated + control >= 50:
            assert abs(treated / (treated + control) - c["planned_treatment_share"]) < 0.2


def test_population_is_heterogeneous(sample: Path) -> None:
    persons = truth(sample, "persons")
    buyers = [p for p in persons if p["is_buyer"]]
    assert 0.3 < len(buyers) / len(persons) < 0.9, "prospects who never buy, and buyers"
    rates = sorted(p["purchase_rate_per_day"] for p in buyers)
    assert rates[len(rates) * 9 // 10] > 3 * rates[len(rates) // 10], "gamma-distributed purchase rates"
    states = Counter(p["lifecycle_state_at_end"] for p in persons)
    assert states["active"] and states["dormant"] and states["churned"]
    assert len({p["preferred_category"] for p in persons}) == 6


def test_dirty_but_accepted_values_are_present(sample: Path) -> None:
    raw = sample / "raw"
    placeholders, phones, emails, epoch = set(), [], [], 0
    device_accounts = defaultdict(set)
    phone_accounts = defaultdict(set)
    for _, _, line in raw_lines(raw, "events"):
        if classify_event(line):
            continue
        o = json.loads(line)
        ids = o["identities"]
        epoch += isinstance(o["time"], int)
        placeholders |= {v for v in ids.values() if v in PLACEHOLDERS}
        phones += [ids["phone"]] if "phone" in ids else []
        emails += [ids["email"]] if "email" in ids else []
        if ids.get("account_id", "") not in PLACEHOLDERS and ids.get("device_id", "") not in PLACEHOLDERS:
            device_accounts[ids["device_id"]].add(ids["account_id"])
        if o["event"] == "register" and "phone" in ids:
            phone_accounts[normalise("phone", ids["phone"])].add(ids["account_id"])
    for _, _, line in raw_lines(raw, "crm_members"):
        row = next(csv.reader(io.StringIO(line)))
        if classify_crm(line) is None:
            placeholders |= {row[2], row[3]} & PLACEHOLDERS
            phones.append(row[2])
            emails.append(row[3])
            phone_accounts[normalise("phone", row[2])].add(row[1])
    assert placeholders == PLACEHOLDERS, PLACEHOLDERS - placeholders
    assert any(p.startswith("+86 ") and "-" in p for p in phones)
    assert any(re.fullmatch(r"1\d\d \d{4} \d{4}", p) for p in phones)
    assert any(p.startswith("0086") for p in phones)
    assert any(e != e.strip() and e.strip().isupper() for e in emails)
    events = json.loads((sample / "truth" / "manifest.json").read_text())["sources"]["events"]["lines"]
    assert 0.08 < epoch / events < 0.25, "older SDKs send epoch milliseconds"
    assert max(len(a) for a in phone_accounts.values() if a) >= 20, "a test phone shared by a crowd"
    assert phone_accounts["13800138000"] and phone_accounts["13900000000"]
    shared = [d for d, a in device_accounts.items() if len(a) >= 2]
    assert shared, "a family tablet or store demo phone"
    assert max(len(device_accounts[d]) for d in shared) >= 10, "a store demo phone"
    flagged = {i["identifier_value"] for i in truth(sample, "identifiers") if i["is_shared"]}
    assert set(shared) <= flagged and "13800138000" in flagged


def test_land_next_day_equals_a_longer_run(tmp_path: Path) -> None:
    daily, direct = tmp_path / "daily", tmp_path / "direct"
    generate("tiny", 3, daily / "raw", end_date=dt.date(2026, 1, 9), days=40, log=quiet)
    land_next_day(daily / "raw", log=quiet)
    land_next_day(daily / "raw", log=quiet)
    generate("tiny", 3, direct / "raw", end_date=dt.date(2026, 1, 11), days=42, log=quiet)
    assert digests(daily) == digests(direct)
    assert (daily / "raw" / "events" / "dt=2026-01-11").is_dir()


def test_cli_defaults_truth_next_to_out(tmp_path: Path) -> None:
    res = subprocess.run(
        [
            *(sys.executable, "-m", "orchestration.simulate", "--tier", "tiny", "--days", "5", "--seed", "1"),
            *("--out", str(tmp_path / "data" / "raw")),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert res.returncode == 0, res.stderr
    assert "persons" in res.stdout and "done in" in res.stdout
    assert json.loads((tmp_path / "data" / "truth" / "manifest.json").read_text())["days"] == 5
