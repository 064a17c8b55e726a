"""Turns the simulated record tables into contract files, rejects and duplicates, and the ground truth.

Lines are built column-wise with Arrow string kernels; only the few deliberately bad lines go
through Python's json module. Every random choice made here comes from a generator keyed by
(seed, source, partition day), so a partition's bytes do not depend on which other partitions are
written in the same run.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import config as C
from . import event_formats
from . import formats as F
from .model import CITIES, DAY_MS, PAGES, REFERRERS, SEARCH_TERMS, UTMS, Simulation, campaign

MAX_LINES_PER_FILE = 1_000_000
BATCH_ROWS = 200_000
SOURCE_CODES = {"events": 1, "orders": 2, "crm_members": 3, "campaign_touches": 4, "erasure_requests": 5}
SLOT_KIND = {
    "dev": F.T_DEVICE,
    "anon": F.T_ANON,
    "acct": F.T_ACCOUNT,
    "open": F.T_OPENID,
    "union": F.T_UNIONID,
    "phone": F.T_PHONE,
    "email": F.T_EMAIL,
}
NULL = pa.scalar(None, pa.string())


@dataclass
class SourceStats:
    files: int = 0
    lines: int = 0
    bad: Counter = field(default_factory=Counter)
    duplicates: int = 0

    def as_dict(self) -> dict:
        return {
            "files": self.files,
            "lines": self.lines,
            "accepted_unique": self.lines - sum(self.bad.values()) - self.duplicates,
            "bad_by_reason": dict(sorted(self.bad.items())),
            "duplicates": self.duplicates,
        }


def _is_gz(source: str, day: int) -> bool:
    # a weekly slice of events and every tenth orders partition are gzipped, so readers meet both forms
    return (source == "events" and day % 7 == 6) or (source == "orders" and day % 10 == 9)


def _scatter(present: np.ndarray, values: pa.Array) -> pa.Array:
    """Full-length array with values at the present positions and nulls elsewhere."""
    rank = np.cumsum(present) - 1
    return values.take(pa.array(np.where(present, rank, 0), mask=~present))


def _choice(rng: np.random.Generator, options: list | tuple) -> Any:
    return options[int(rng.integers(len(options)))]


class Writer:
    """Writes raw partitions write_from..last_day and the full truth for days 0..last_day."""

    def __init__(
        self,
        sim: Simulation,
        out: Path,
        truth: Path,
        write_from: int,
        last_day: int,
        log: Callable[[str], None],
        events_format: str = "contract",
    ) -> None:
        if events_format not in C.EVENT_FORMATS:
            raise ValueError(f"unknown events format {events_format!r}; choose from {', '.join(C.EVENT_FORMATS)}")
        self.events_format = events_format
        self.events_by_kind: dict[str, int] | None = None
        self.sim, self.out, self.truth = sim, out, truth
        self.write_from, self.last_day = write_from, last_day
        self.log = log
        self.fmt = F.EntityFormatter(sim.seed)
        self.stats = {s: SourceStats() for s in SOURCE_CODES}
        self.bad_rows: list[tuple[str, str, int, str]] = []
        self.usage: list[np.ndarray] = []
        self.start_day = sim.start_ms // DAY_MS
        self.orders = sim.orders.done()
        self.order_created = np.zeros(0, dtype=np.int64)
        if self.orders:
            self.order_created = self.orders["created"]

    # ------------------------------------------------------------------ shared helpers
    def _rng(self, source: str, day: int) -> np.random.Generator:
        return np.random.default_rng([self.sim.seed, 3, SOURCE_CODES[source], day])

    def reason_names(self, source: str) -> tuple[str, ...]:
        """Reject reasons by code (model.py draws contract codes; another format names them its own way)."""
        if source != "events" or self.events_format == "contract":
            return C.REASONS[source]
        return tuple(C.FORMAT_REASONS[self.events_format][r] for r in C.REASONS[source])

    def _date(self, day: int) -> str:
        return (self.sim.start_date + dt.timedelta(days=day)).isoformat()

    def value(self, kind: int, idx: np.ndarray, var: np.ndarray) -> pa.Array:
        """Raw identifier text for one slot: real (maybe dirty-formatted), placeholder, or null."""
        ph = (var >= 1) & (var <= 7)
        return F.sparse((idx >= 0) | ph, lambda rows: self._value_at(kind, idx[rows], var[rows]))

    def _value_at(self, kind: int, idx: np.ndarray, var: np.ndarray) -> pa.Array:
        ph = (var >= 1) & (var <= 7)
        real = ~ph
        vals = self.fmt.format(kind, idx[real])
        v = np.clip(var[real].astype(np.int64) - 10, 0, None)
        if kind == F.T_PHONE and v.any():
            vals = F.dirty_phone(vals, v)
        elif kind == F.T_EMAIL and v.any():
            vals = F.dirty_email(vals, v)
        if not ph.any():
            return vals
        return pc.if_else(pa.array(ph), F.take(C.PLACEHOLDERS, np.clip(var - 1, 0, 6)), _scatter(real, vals))

    def mixed(self, kinds: np.ndarray, idx: np.ndarray, var: np.ndarray) -> pa.Array:
        """Like value() for rows whose identifier type differs row by row."""
        n = len(kinds)
        order = np.argsort(kinds, kind="stable")
        chunks = []
        for k in np.unique(kinds):
            sel = order[kinds[order] == k]
            chunks.append(self.value(int(k), idx[sel], var[sel]))
        if not chunks:
            return pa.array([], pa.string())
        inv = np.empty(n, dtype=np.int64)
        inv[order] = np.arange(n)
        return pa.concat_arrays(chunks).take(pa.array(inv))

    def order_ids(self, oidx: np.ndarray) -> pa.Array:
        present = oidx >= 0
        o = oidx[present]
        day = np.datetime_as_string((self.order_created[o] + 8 * 3_600_000).astype("datetime64[ms]"), unit="D")
        ymd = pc.replace_substring(pa.array(day), "-", "")
        return _scatter(present, F.join("SO", ymd, F.digits(o, 9)))

    def use(self, kind: int | np.ndarray, idx: np.ndarray, person: np.ndarray) -> None:
        """Record that person's identifier (kind, idx) appears in an accepted line."""
        key = (np.asarray(kind, dtype=np.int64) << 53) | (idx.astype(np.int64) << 22) | person.astype(np.int64)
        self.usage.append(np.unique(key))

    def files(self, source: str, day: int, n: int) -> list[tuple[str, int, int]]:
        """(relative path, first row, end row) of each part file of a partition."""
        ext = "csv" if source == "crm_members" else "jsonl"
        gz = ".gz" if _is_gz(source, day) else ""
        if source == "events" and self.events_format == "table":
            ext, gz = "parquet", ""
        return [
            (f"{source}/dt={self._date(day)}/part-{k}.{ext}{gz}", lo, min(lo + MAX_LINES_PER_FILE, n))
            for k, lo in enumerate(range(0, n, MAX_LINES_PER_FILE))
        ]

    def account(self, source: str, day: int, rows: np.ndarray, bad: np.ndarray, copy: np.ndarray) -> None:
        """Stats and truth rows (rejects by reason, later duplicate copies) for one partition."""
        st = self.stats[source]
        reasons = self.reason_names(source)
        first_line = 2 if source == "crm_members" else 1
        for rel, lo, hi in self.files(source, day, len(rows)):
            b, cp = bad[rows[lo:hi]], copy[rows[lo:hi]]
            for i in np.flatnonzero(b > 0):
                self.bad_rows.append((source, rel, int(i) + first_line, reasons[b[i] - 1]))
            for i in np.flatnonzero(cp > 0):
                self.bad_rows.append((source, rel, int(i) + first_line, "duplicate"))
            st.files += 1
            st.lines += hi - lo
            st.duplicates += int((cp > 0).sum())
            st.bad.update(reasons[c - 1] for c in b[b > 0])

    def emit_all(
        self,
        source: str,
        parts: list[tuple[int, np.ndarray]],
        build: Callable,
        mutate: Callable,
        bad: np.ndarray,
        copy: np.ndarray,
        after: Callable[[int, np.ndarray], None],
    ) -> None:
        """Account for every partition; build and write those due, a batch of partitions at a time
        (each Arrow call has a fixed cost, and the tiny tier has many small partitions)."""
        reasons = C.REASONS[source]
        header = (",".join(C.CRM_COLUMNS) + "\n").encode() if source == "crm_members" else b""
        batches, i = [], 0
        while i < len(parts):
            j, size = i, 0
            while j < len(parts) and (j == i or size + len(parts[j][1]) <= BATCH_ROWS):
                size += len(parts[j][1])
                j += 1
            batches.append(parts[i:j])
            i = j

        def due_rows(group: list[tuple[int, np.ndarray]]) -> list[tuple[int, np.ndarray]]:
            return [(day, rows) for day, rows in group if day >= self.write_from]

        # Arrow kernels and most numpy work release the GIL: build the next batch's lines on a
        # second core while this one is mutated and written (a window of two keeps memory flat).
        with ThreadPoolExecutor(max_workers=2) as pool:
            pending: deque = deque()
            for k, group in enumerate(batches):
                for ahead in batches[k + len(pending) : k + 2]:
                    due = due_rows(ahead)
                    pending.append(pool.submit(build, np.concatenate([r for _, r in due])) if due else None)
                future = pending.popleft()
                for day, rows in group:
                    self.account(source, day, rows, bad, copy)
                    after(day, rows)
                if future is None:
                    continue
                due = due_rows(group)
                lines = future.result()
                # deliberately bad lines: mutate the good line, with a generator per partition
                positions, new, offset = [], [], 0
                for day, rows in due:
                    b = bad[rows]
                    bi = np.flatnonzero(b > 0)
                    if len(bi):
                        rng = self._rng(source, day)
                        good = lines.take(pa.array(offset + bi)).to_pylist()
                        new += [mutate(rng, reasons[b[q] - 1], line) for q, line in zip(bi, good, strict=True)]
                        positions.append(offset + bi)
                    offset += len(rows)
                if new:
                    mask = np.zeros(len(lines), dtype=bool)
                    mask[np.concatenate(positions)] = True
                    lines = pc.replace_with_mask(lines, pa.array(mask), pa.array(new, pa.string()))
                # one newline-joined buffer; each file is a contiguous byte range of it
                body = F.join(lines, "\n")
                offsets = np.frombuffer(body.buffers()[1], dtype=np.int32)[body.offset : body.offset + len(body) + 1]
                data = memoryview(body.buffers()[2])
                offset = 0
                for day, rows in due:
                    for rel, lo, hi in self.files(source, day, len(rows)):
                        chunk = header + bytes(data[offsets[offset + lo] : offsets[offset + hi]])
                        path = self.out / rel
                        path.parent.mkdir(parents=True, exist_ok=True)
                        path.write_bytes(
                            gzip.compress(chunk, compresslevel=1, mtime=0) if rel.endswith(".gz") else chunk
                        )
                    offset += len(rows)

    def partitions(self, key_ms: np.ndarray, copy: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """Rows sorted by (time, copy, original order), grouped by UTC day, up to last_day."""
        day = key_ms // DAY_MS - self.start_day
        order = np.lexsort((copy, key_ms))
        order = order[(day[order] >= 0) & (day[order] <= self.last_day)]
        if not len(order):
            return []
        d = day[order]
        cuts = np.flatnonzero(np.diff(d)) + 1
        return [(int(g[0]), order[s : s + len(g)]) for s, g in zip(np.r_[0, cuts], np.split(d, cuts), strict=True)]

    # ------------------------------------------------------------------ events
    def events(self) -> None:
        e = self.sim.events.done()
        self.log(f"  writing events: {len(e['person']):,} simulated lines")
        if "recv" not in e:
            e["recv"] = e["ms"] + e["recv_after"]
        if self.events_format != "contract":
            event_formats.write_events(self, e)
            return
        parts = self.partitions(e["recv"], e["copy"])
        # the event truth is as long as the data: stream it, one row group per partition
        self.truth.mkdir(parents=True, exist_ok=True)
        sink: list[pq.ParquetWriter] = []

        def after(day: int, rows: np.ndarray) -> None:
            ok = rows[e["bad"][rows] == 0]
            self._event_usage(e, ok)
            first = ok[e["copy"][ok] == 0]
            table = pa.table(
                {
                    "event_id": F.uuid_strings(e["hi"][first].view(np.uint64), e["lo"][first].view(np.uint64)),
                    "person_id": e["person"][first].astype(np.int64),
                    "event": F.take(C.EVENTS, e["etype"][first]),
                    "channel": F.take(C.CHANNELS, e["channel"][first]),
                    "event_at": pa.array(e["ms"][first].astype("datetime64[ms]")).cast(pa.timestamp("ms", tz="UTC")),
                }
            )
            if not sink:
                sink.append(pq.ParquetWriter(self.truth / "events.parquet", table.schema, compression="zstd"))
            sink[0].write_table(table)

        self.emit_all("events", parts, lambda r: self._event_lines(e, r), mutate_event, e["bad"], e["copy"], after)
        if sink:
            sink[0].close()

    def _event_usage(self, e: dict, ok: np.ndarray) -> None:
        p = e["person"][ok]
        ch = e["channel"][ok]
        did_kind = np.select([ch <= C.ANDROID, ch <= C.H5], [F.T_DEVICE, F.T_ANON], F.T_OPENID)
        self.use(did_kind, e["did"][ok], p)
        for slot, kind in SLOT_KIND.items():
            idx, var = e[f"id_{slot}"][ok], e[f"var_{slot}"][ok]
            real = (idx >= 0) & ~((var >= 1) & (var <= 7))
            self.use(kind, idx[real], p[real])

    def _event_lines(self, e: dict, r: np.ndarray) -> pa.Array:
        n = len(r)
        g = {k: v[r] for k, v in e.items()}
        client, tform = g["ms"] + g["skew"], g["tform"]
        time = F.iso_local(client, quoted=True)
        if (tform == 1).any():
            time = pc.if_else(pa.array(tform == 1), pa.array(client).cast(pa.string()), time)
        if (tform == 2).any():
            time = pc.if_else(pa.array(tform == 2), F.iso_utc(client, quoted=True), time)
        ch = g["channel"]
        did = self.mixed(
            np.select([ch <= C.ANDROID, ch <= C.H5], [F.T_DEVICE, F.T_ANON], F.T_OPENID),
            g["did"],
            np.zeros(n, dtype=np.int8),
        )
        ids = [
            F.qmember(C.IDENTITY_TYPES[kind], self.value(kind, g[f"id_{slot}"], g[f"var_{slot}"]))
            for slot, kind in SLOT_KIND.items()
        ]
        prod, price, qty = g["p_product"], g["p_price"], g["p_qty"]
        order, amount, camp = g["p_order"], g["p_amount"], g["p_campaign"].astype(np.int64)
        search, page, ref, utm, coupon = g["p_search"], g["p_page"], g["p_ref"], g["p_utm"], g["p_coupon"]

        def campaign_ids(i: np.ndarray) -> pa.Array:
            return F.join("CMP", F.digits(camp[i] + 1, 3))

        props = [
            F.sparse(
                prod >= 0,
                lambda i: F.join(
                    ',"product_id":"SKU',
                    F.digits(prod[i], 6),
                    '","category":"',
                    F.take(C.CATEGORIES, self.sim.product_category[prod[i]]),
                    '"',
                ),
            ),
            F.sparse(price >= 0, lambda i: F.join(',"price":', F.money(price[i]))),
            F.sparse(qty > 0, lambda i: F.join(',"quantity":', pa.array(qty[i].astype(np.int64)).cast(pa.string()))),
            F.sparse(
                order >= 0,
                lambda i: F.join(
                    ',"order_id":"',
                    self.order_ids(order[i]),
                    '","amount":',
                    F.money(amount[i]),
                    ',"currency":"CNY"',
                ),
            ),
            F.sparse(search >= 0, lambda i: F.qmember("search_term", F.take(SEARCH_TERMS, search[i]))),
            F.sparse(page >= 0, lambda i: F.qmember("page", F.take(PAGES, page[i]))),
            F.sparse(ref >= 0, lambda i: F.qmember("referrer", F.take(REFERRERS, ref[i]))),
            F.sparse(
                utm >= 0,
                lambda i: F.join(
                    ',"utm_source":"',
                    F.take([u[0] for u in UTMS], utm[i]),
                    '","utm_medium":"',
                    F.take([u[1] for u in UTMS], utm[i]),
                    '","utm_campaign":"',
                    F.take([u[2] for u in UTMS], utm[i]),
                    '"',
                ),
            ),
            # push clicks carry their campaign (never together with a web utm, so key order holds)
            F.sparse(
                camp >= 0,
                lambda i: F.join(
                    ',"utm_source":"push","utm_medium":"push","utm_campaign":"',
                    campaign_ids(i),
                    '","campaign_id":"',
                    campaign_ids(i),
                    '"',
                ),
            ),
            F.sparse(coupon >= 0, lambda i: F.join(',"coupon_id":"CPN', F.digits(coupon[i], 4), '"')),
        ]
        return F.join(
            '{"event_id":"',
            F.uuid_strings(g["hi"].view(np.uint64), g["lo"].view(np.uint64)),
            '","event":"',
            F.take(C.EVENTS, g["etype"]),
            '","time":',
            time,
            ',"received_at":',
            F.iso_utc(g["recv"], quoted=True),
            ',"channel":"',
            F.take(C.CHANNELS, ch),
            '","app_id":"',
            F.take(C.APP_IDS, ch),
            '","distinct_id":"',
            did,
            '","identities":',
            F.obj(ids, n),
            ',"properties":',
            F.obj(props, n),
            "}",
        )

    # ------------------------------------------------------------------ orders
    def orders_(self) -> None:
        ol = self.sim.order_lines.done()
        if not ol:
            return
        ol = _with_copies(ol)
        o = self.orders
        self.log(f"  writing orders: {len(ol['order']):,} status lines for {len(o['order']):,} orders")
        written_orders = []

        def after(day: int, rows: np.ndarray) -> None:
            ok = rows[ol["bad"][rows] == 0]
            oid = ol["order"][ok]
            self.use(F.T_ACCOUNT, o["person"][oid], o["person"][oid])
            rp = o["receiver_phone"][oid]
            self.use(F.T_PHONE, rp[rp >= 0], o["person"][oid][rp >= 0])
            written_orders.append(ol["order"][rows])

        parts = self.partitions(ol["updated"], ol["copy"])
        self.emit_all("orders", parts, lambda r: self._order_lines(ol, r), mutate_order, ol["bad"], ol["copy"], after)
        w = np.unique(np.concatenate(written_orders)) if written_orders else np.zeros(0, np.int64)
        self._write_truth(
            "orders",
            [
                pa.table(
                    {
                        "order_id": self.order_ids(w),
                        "person_id": o["person"][w],
                        "channel": F.take(C.CHANNELS, o["channel"][w]),
                        "order_at": pa.array(o["created"][w].astype("datetime64[ms]")).cast(
                            pa.timestamp("ms", tz="UTC")
                        ),
                        "amount": pa.array(o["amount"][w] / 100.0),
                        "is_cancelled": o["cancelled"][w],
                        "is_refunded": o["refunded"][w],
                    }
                )
            ],
        )

    def _order_lines(self, ol: dict, r: np.ndarray) -> pa.Array:
        o = self.orders
        oid = ol["order"][r]
        person = o["person"][oid]
        items = []
        for j in range(3):
            p = o["items_p"][oid, j]

            def item(i: np.ndarray, p: np.ndarray = p, j: int = j) -> pa.Array:
                return F.join(
                    '{"product_id":"SKU' if j == 0 else ',{"product_id":"SKU',
                    F.digits(p[i], 6),
                    '","category":"',
                    F.take(C.CATEGORIES, self.sim.product_category[p[i]]),
                    '","price":',
                    F.money(o["items_price"][oid[i], j]),
                    ',"quantity":',
                    pa.array(o["items_q"][oid[i], j].astype(np.int64)).cast(pa.string()),
                    "}",
                )

            items.append(F.sparse(p >= 0, item))
        items_json = pc.binary_join_element_wise(*items, "", null_handling="replace", null_replacement="")
        rp = self.value(F.T_PHONE, o["receiver_phone"][oid], o["receiver_var"][oid])
        return F.join(
            '{"order_id":"',
            self.order_ids(oid),
            '","account_id":"',
            self.fmt.account(person),
            '","status":"',
            F.take(C.ORDER_STATUSES, ol["status"][r]),
            '","order_time":',
            F.iso_local(o["created"][oid], unit="s", quoted=True),
            ',"updated_at":',
            F.iso_local(ol["updated"][r], unit="s", quoted=True),
            ',"channel":"',
            F.take(C.CHANNELS, o["channel"][oid]),
            '","amount":',
            F.money(o["amount"][oid]),
            ',"discount_amount":',
            F.money(o["discount"][oid]),
            ',"currency":"CNY","items":[',
            items_json,
            "]",
            pc.coalesce(F.qmember("receiver_phone", rp), ""),
            "}",
        )

    # ------------------------------------------------------------------ CRM
    def crm(self) -> None:
        c = _with_copies(self.sim.crm.done())
        self.log(f"  writing crm_members: {len(c['person']):,} rows")

        def after(day: int, rows: np.ndarray) -> None:
            ok = rows[c["bad"][rows] == 0]
            p = c["person"][ok]
            self.use(F.T_MEMBER, p, p)
            self.use(F.T_ACCOUNT, p, p)
            pv = c["phone_var"][ok]
            real = (pv == 0) | (pv >= 10)
            self.use(F.T_PHONE, c["phone"][ok][real], p[real])
            ev = c["email_var"][ok]
            real = (ev == 0) | (ev >= 10)
            self.use(F.T_EMAIL, p[real], p[real])
            u = c["unionid"][ok]
            self.use(F.T_UNIONID, p[u], p[u])

        parts = self.partitions(c["updated"], c["copy"])
        self.emit_all("crm_members", parts, lambda r: self._crm_lines(c, r), mutate_crm, c["bad"], c["copy"], after)

    def _crm_lines(self, c: dict, r: np.ndarray) -> pa.Array:
        sim = self.sim
        p = c["person"][r]
        email_idx = np.where((c["email_var"][r] == 0) | (c["email_var"][r] >= 10), p, -1)
        email = pc.coalesce(self.value(F.T_EMAIL, email_idx, c["email_var"][r]), "")
        union = pc.coalesce(_scatter(c["unionid"][r], self.fmt.unionid(p[c["unionid"][r]])), "")
        bd = sim.birth_day[p]
        birth = _scatter(bd >= 0, pa.array(np.datetime_as_string(bd[bd >= 0].astype("datetime64[D]"))))
        cols = [
            self.fmt.member(p),
            self.fmt.account(p),
            pc.coalesce(self.value(F.T_PHONE, c["phone"][r], c["phone_var"][r]), ""),
            email,
            union,
            F.take(("female", "male", ""), sim.gender[p]),
            pc.coalesce(birth, ""),
            F.take(CITIES, sim.city[p]),
            F.take(C.LEVELS, c["level"][r]),
            F.iso_local(c["registered"][r], unit="s"),
            F.iso_local(c["updated"][r], unit="s"),
            F.take(("false", "true"), c["consent"][r].astype(np.int64)),
        ]
        for col in cols:
            if len(col) and pc.any(pc.match_substring_regex(col, r'[,"\r\n]')).as_py():
                raise ValueError("CRM value needs CSV quoting")
        return pc.binary_join_element_wise(*cols, ",")

    # ------------------------------------------------------------------ touches
    def touches(self) -> None:
        t = self.sim.touches.done()
        if not t:
            return
        t = _with_copies(t)
        self.log(f"  writing campaign_touches: {len(t['person']):,} lines")
        truth = []

        def after(day: int, rows: np.ndarray) -> None:
            ok = rows[(t["bad"][rows] == 0) & (t["copy"][rows] == 0)]
            self.use(t["id_kind"][ok].astype(np.int64), t["id_idx"][ok], t["person"][ok])
            truth.append(
                pa.table(
                    {
                        "touch_id": self._touch_ids(t, ok),
                        "campaign_id": F.join("CMP", F.digits(t["campaign"][ok].astype(np.int64) + 1, 3)),
                        "person_id": t["person"][ok],
                        "arm": F.take(("control", "treatment"), t["treated"][ok].astype(np.int64)),
                        "sent_at": pa.array(t["sent"][ok].astype("datetime64[ms]")).cast(pa.timestamp("ms", tz="UTC")),
                    }
                )
            )

        parts = self.partitions(t["sent"], t["copy"])
        self.emit_all(
            "campaign_touches",
            parts,
            lambda r: self._touch_lines(t, r),
            mutate_touch,
            t["bad"],
            t["copy"],
            after,
        )
        self._write_truth("touches", truth)

    def _touch_ids(self, t: dict, r: np.ndarray) -> pa.Array:
        return F.join(
            "T", pa.array(F.hex_chars(t["touch_hi"][r].view(np.uint64)).view("S16").ravel()).cast(pa.string())
        )

    def _touch_lines(self, t: dict, r: np.ndarray) -> pa.Array:
        camp = t["campaign"][r].astype(np.int64)
        chan = np.array([C.TOUCH_CHANNELS.index(campaign(int(k)).channel) for k in range(int(camp.max()) + 1)])[camp]
        cost = np.array([C.TOUCH_COST_CENTS[ch] for ch in C.TOUCH_CHANNELS])[chan] * t["treated"][r]
        value = self.mixed(t["id_kind"][r].astype(np.int64), t["id_idx"][r], t["id_var"][r])
        return F.join(
            '{"touch_id":"',
            self._touch_ids(t, r),
            '","campaign_id":"',
            F.join("CMP", F.digits(camp + 1, 3)),
            '","channel":"',
            F.take(C.TOUCH_CHANNELS, chan),
            '","identifier_type":"',
            F.take(F.TYPE_NAMES, t["id_kind"][r]),
            '","identifier_value":"',
            value,
            '","arm":"',
            F.take(("control", "treatment"), t["treated"][r].astype(np.int64)),
            '","sent_at":',
            F.iso_utc(t["sent"][r], unit="s", quoted=True),
            ',"cost":',
            F.money(cost),
            "}",
        )

    # ------------------------------------------------------------------ erasure requests
    def erasures(self) -> None:
        e = self.sim.erasures.done()
        st = self.stats["erasure_requests"]
        rel = "erasure_requests/requests.csv"
        if not e:
            e = {k: np.zeros(0, dtype=np.int64) for k in ("person", "id_kind", "id_idx", "id_var", "requested", "bad")}
        keep = np.flatnonzero(e["requested"] // DAY_MS - self.start_day <= self.last_day)
        keep = keep[np.argsort(e["requested"][keep], kind="stable")]
        n = len(keep)
        g = {k: v[keep] for k, v in e.items()}
        ids = F.join("ER", F.digits(keep.astype(np.int64) + 1, 6))
        value = self.mixed(g["id_kind"].astype(np.int64), g["id_idx"], g["id_var"])
        rows = pc.binary_join_element_wise(
            ids,
            F.take(F.TYPE_NAMES, g["id_kind"]),
            value,
            F.iso_local(g["requested"], unit="s"),
            ",",
        ).to_pylist()
        rng = self._rng("erasure_requests", 0)
        reasons = C.REASONS["erasure_requests"]
        for i in np.flatnonzero(g["bad"] > 0):
            reason = reasons[g["bad"][i] - 1]
            rows[i] = mutate_erasure(rng, reason, rows[i])
            self.bad_rows.append(("erasure_requests", rel, int(i) + 2, reason))
            st.bad[reason] += 1
        st.files, st.lines = 1, n
        path = self.out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(("\n".join([",".join(C.ERASURE_COLUMNS), *rows]) + "\n").encode())
        ok = g["bad"] == 0
        self._write_truth(
            "erasures",
            [
                pa.table(
                    {
                        "request_id": ids.filter(pa.array(ok)),
                        "person_id": g["person"][ok],
                        "identifier_type": F.take(F.TYPE_NAMES, g["id_kind"][ok]),
                        "identifier_value": self.mixed(
                            g["id_kind"][ok].astype(np.int64),
                            g["id_idx"][ok],
                            np.zeros(int(ok.sum()), np.int8),
                        ),
                        "requested_at": pa.array(g["requested"][ok].astype("datetime64[ms]")).cast(
                            pa.timestamp("ms", tz="UTC")
                        ),
                    }
                )
            ],
        )

    # ------------------------------------------------------------------ truth
    def _write_truth(self, name: str, tables: list[pa.Table]) -> None:
        self.truth.mkdir(parents=True, exist_ok=True)
        tables = [t for t in tables if t.num_rows] or tables[:1]
        table = pa.concat_tables(tables) if tables else pa.table({})
        pq.write_table(table, self.truth / f"{name}.parquet", compression="zstd")

    def finish(self, manifest: dict) -> dict:
        keys = np.unique(np.concatenate(self.usage)) if self.usage else np.zeros(0, np.int64)
        kind = (keys >> 53).astype(np.int64)
        idx = (keys >> 22) & ((1 << 31) - 1)
        person = keys & ((1 << 22) - 1)
        order = np.lexsort((kind, person))
        kind, idx, person = kind[order], idx[order], person[order]
        values = self.mixed(kind, idx, np.zeros(len(kind), np.int8))
        # normalised openids carry their app_id; other values are already normal
        is_open = kind == F.T_OPENID
        if is_open.any():
            scoped = self.fmt.normalised(F.T_OPENID, idx[is_open])
            values = pc.if_else(pa.array(is_open), _scatter(is_open, scoped), values)
        shared = ((kind == F.T_DEVICE) & ((idx >> 1) >= F.SHARED_DEVICE_SERIAL)) | (
            (kind == F.T_PHONE) & (idx >= F.TEST_PHONE_BASE)
        )
        self._write_truth(
            "identifiers",
            [
                pa.table(
                    {
                        "person_id": person,
                        "identifier_type": F.take(F.TYPE_NAMES, kind),
                        "identifier_value": values,
                        "is_shared": shared,
                    }
                )
            ],
        )
        people = np.unique(person)
        self._persons(people)
        self._campaigns()
        br = sorted(self.bad_rows, key=lambda x: (x[0], x[1], x[2]))
        self._write_truth(
            "bad_lines",
            [
                pa.table(
                    {
                        "source": pa.array([b[0] for b in br], pa.string()),
                        "file": pa.array([b[1] for b in br], pa.string()),
                        "line_number": pa.array([b[2] for b in br], pa.int64()),
                        "reason": pa.array([b[3] for b in br], pa.string()),
                    }
                )
            ],
        )
        manifest["persons"] = len(people)
        manifest["identifiers"] = len(keys)
        manifest["sources"] = {s: st.as_dict() for s, st in self.stats.items()}
        if self.events_format != "contract":  # the contract's manifest stays as it always was
            manifest["events_format"] = self.events_format
            manifest["sources"]["events"]["accepted_by_kind"] = self.events_by_kind or {}
        (self.truth / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        return manifest

    def _persons(self, p: np.ndarray) -> None:
        s = self.sim
        names = np.array(C.CHANNELS)
        home = [",".join(names[row]) for row in s.channel_mask[p]]
        ms = lambda a: pa.array(a.astype("datetime64[ms]")).cast(pa.timestamp("ms", tz="UTC"))  # noqa: E731
        reg = s.registered_ms[p]
        self._write_truth(
            "persons",
            [
                pa.table(
                    {
                        "person_id": p,
                        "arrival_date": pa.array(np.datetime64(s.start_date) + s.arrival[p].astype("timedelta64[D]")),
                        "is_preexisting": s.arrival[p] == 0,
                        "is_member": s.member[p],
                        "registered_at": pc.if_else(
                            pa.array(reg >= 0),
                            ms(np.maximum(reg, 0)),
                            pa.scalar(None, pa.timestamp("ms", tz="UTC")),
                        ),
                        "is_buyer": s.buyer[p],
                        "purchase_rate_per_day": s.lam[p],
                        "dropout_probability": s.dropout[p],
                        "is_alive_at_end": s.alive[p],
                        "paid_order_count": s.paid_orders[p],
                        "preferred_category": F.take(C.CATEGORIES, s.pref_cat[p]),
                        "home_channels": pa.array(home, pa.string()),
                        "app_platform": F.take(("none", "android", "ios"), s.has_app[p] + s.ios[p].astype(np.int64)),
                        "visit_rate_per_day": s.visit[p],
                        "lifecycle_state_at_end": F.take(("not_arrived", "active", "dormant", "churned"), s.state[p]),
                        "member_level_at_end": F.take(C.LEVELS, s.level[p]),
                        "marketing_consent_at_end": s.consent[p],
                        "crm_phone_kind": F.take(
                            ("own", "test_phone", "test_phone", "placeholder", "empty"), s.phone_mode[p]
                        ),
                        "uses_family_tablet": s.family_dev[p] >= 0,
                        "used_store_demo_phone": np.isin(p, s.demo_person[s.demo_day <= self.last_day]),
                        "erasure_requested": s.erased_day[p] >= 0,
                    }
                )
            ],
        )

    def _campaigns(self) -> None:
        cs = [c for c in self.sim.campaigns if c.start_day <= self.last_day]
        self._write_truth(
            "campaigns",
            [
                pa.table(
                    {
                        "campaign_id": pa.array([c.campaign_id for c in cs], pa.string()),
                        "channel": pa.array([c.channel for c in cs], pa.string()),
                        "audience": pa.array([c.audience for c in cs], pa.string()),
                        "planned_treatment_share": pa.array([c.treatment_share for c in cs], pa.float64()),
                        "true_effect": pa.array([c.true_effect for c in cs], pa.float64()),
                        "true_effect_definition": pa.array(
                            ["added probability of a purchase within 7 days of the touch"] * len(cs),
                            pa.string(),
                        ),
                        "start_date": pa.array(
                            [self.sim.start_date + dt.timedelta(days=c.start_day) for c in cs], pa.date32()
                        ),
                        "end_date": pa.array(
                            [self.sim.start_date + dt.timedelta(days=c.start_day + c.send_days - 1) for c in cs],
                            pa.date32(),
                        ),
                        "openid_app_id": pa.array([C.APP_IDS[C.OA]] * len(cs), pa.string()),
                    }
                )
            ],
        )


def _with_copies(t: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Materialise exact duplicate lines: a row flagged dup gets a second, identical copy."""
    di = np.flatnonzero(t["dup"])
    out = {k: np.concatenate([v, v[di]]) for k, v in t.items() if k != "dup"}
    out["copy"] = np.r_[np.zeros(len(t["bad"]), np.int8), np.ones(len(di), np.int8)]
    return out


# ---------------------------------------------------------------------- bad-line mutations
def _dump(o: object) -> str:
    return json.dumps(o, ensure_ascii=False, separators=(",", ":"))


def _truncate(rng: np.random.Generator, line: str) -> str:
    # a line cut mid-write: any proper prefix of an object is invalid JSON
    return line[: int(rng.integers(5, len(line) - 1))]


def _not_object(rng: np.random.Generator, o: dict) -> str:
    kind = int(rng.integers(3))
    if kind == 0:
        return _dump(list(o.values()))
    if kind == 1:
        return str(int(rng.integers(1, 10**9)))
    return _dump(_dump(o))  # double-encoded: a JSON string


def _bad_time(rng: np.random.Generator) -> str:
    return _choice(rng, ["yesterday", "2026-13-45T99:00:00+08:00", "", "N/A", "2026-02-30T25:61:00+08:00"])


def mutate_event(rng: np.random.Generator, reason: str, line: str) -> str:
    if reason == "malformed_json":
        return _truncate(rng, line)
    o = json.loads(line)
    if reason == "not_an_object":
        return _not_object(rng, o)
    if reason == "missing_event_id":
        if rng.random() < 0.7:
            del o["event_id"]
        else:
            o["event_id"] = ""
    elif reason == "missing_event":
        del o["event"]
    elif reason == "unknown_event":
        o["event"] = _choice(rng, ["page_veiw", "AppStart", "PageView", "$pageview", "purchase", "Login"])
    elif reason == "bad_time":
        if rng.random() < 0.3:
            del o["time"]
        else:
            o["time"] = _bad_time(rng)
    elif reason == "implausible_time":
        o["time"] = _choice(
            rng, [0, 915148800000, "1999-12-31T07:59:59+08:00", "2099-01-01T00:00:00+08:00", 4102444800000]
        )
    elif reason == "unknown_channel":
        o["channel"] = _choice(rng, ["ios", "Android", "miniprogram", "pc", "APP_IOS", "alipay"])
    elif reason == "unknown_identity_type":
        o["identities"][_choice(rng, ["idfa", "imei", "user_id", "oaid"])] = o["distinct_id"]
    elif reason == "unknown_property":
        o["properties"][_choice(rng, ["$screen_name", "sku", "productId", "price_cny"])] = "x1"
    elif reason == "bad_amount":
        key = "amount" if "amount" in o["properties"] else "price"
        o["properties"][key] = _choice(rng, [-abs(o["properties"][key]) or -1.0, "abc", "N/A", "12,5"])
    return _dump(o)


def mutate_order(rng: np.random.Generator, reason: str, line: str) -> str:
    if reason == "malformed_json":
        return _truncate(rng, line)
    o = json.loads(line)
    if reason == "not_an_object":
        return _not_object(rng, o)
    if reason.startswith("missing_"):
        del o[reason[len("missing_") :]]
    elif reason == "unknown_status":
        o["status"] = _choice(rng, ["PAID", "closed", "shipping", "unknown", "退款中"])
    elif reason == "bad_amount":
        r = rng.random()
        if r < 0.3:
            del o["amount"]
        else:
            negative = -abs(o["amount"]) or -1.0
            o["amount"] = negative if r < 0.65 else _choice(rng, ["abc", "N/A", "1,299.00"])
    elif reason == "bad_time":
        o[_choice(rng, ["order_time", "updated_at"])] = _bad_time(rng)
    return _dump(o)


def mutate_touch(rng: np.random.Generator, reason: str, line: str) -> str:
    if reason == "malformed_json":
        return _truncate(rng, line)
    o = json.loads(line)
    if reason == "not_an_object":
        return _not_object(rng, o)
    if reason.startswith("missing_"):
        del o[reason[len("missing_") :]]
    elif reason == "unknown_channel":
        o["channel"] = _choice(rng, ["SMS", "wechat", "app_push", "mail"])
    elif reason == "unknown_arm":
        o["arm"] = _choice(rng, ["holdout", "test", "B", "Treatment"])
    elif reason == "unknown_identifier_type":
        o["identifier_type"] = _choice(rng, ["idfa", "mobile", "user_id", "wechat"])
    elif reason == "bad_time":
        o["sent_at"] = _bad_time(rng)
    elif reason == "bad_amount":
        o["cost"] = _choice(rng, [-0.05, "free", "abc"])
    return _dump(o)


def _csv_fields(line: str) -> list[str]:
    return next(csv.reader(io.StringIO(line)))


def mutate_crm(rng: np.random.Generator, reason: str, line: str) -> str:
    f = _csv_fields(line)
    if reason == "wrong_column_count":
        if rng.random() < 0.5:
            f[7] = f[7] + "," + _choice(rng, ["浦东新区", "朝阳区", "天河区"])  # an unquoted comma in the address
        else:
            f = f[:-1]  # the export cut the last column
    elif reason == "missing_member_id":
        f[0] = ""
    elif reason == "bad_time":
        f[10] = _choice(rng, ["yesterday", "2026/13/01 25:00", "N/A", "0000-00-00 00:00:00"])
    return ",".join(f)


def mutate_erasure(rng: np.random.Generator, reason: str, line: str) -> str:
    f = _csv_fields(line)
    if reason == "wrong_column_count":
        f.append("via customer hotline")
    elif reason == "missing_request_id":
        f[0] = ""
    elif reason == "unknown_identifier_type":
        f[1] = _choice(rng, ["imei", "id_card", "passport"])
    elif reason == "bad_time":
        f[3] = _choice(rng, ["yesterday", "2026/02/30", "N/A"])
    return ",".join(f)


def write_outputs(
    sim: Simulation,
    out: Path,
    truth: Path,
    write_from: int,
    last_day: int,
    manifest: dict,
    log: Callable[[str], None],
    events_format: str = "contract",
) -> dict:
    """Write raw partitions write_from..last_day (all earlier ones are only accounted for in the truth)."""
    w = Writer(sim, out, truth, write_from, last_day, log, events_format)
    w.events()
    w.orders_()
    w.crm()
    w.touches()
    w.erasures()
    return w.finish(manifest)
