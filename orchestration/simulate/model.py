"""The population and its behaviour, simulated one UTC day at a time.

Day d draws from its own random stream (seed, d) and only from state left by days < d, so the
simulation is *prefix-stable*: running N+1 days reproduces the first N days exactly. That is what
lets ``--land-next-day`` re-run the simulation and write one more partition that is byte-identical
to what a longer run would have written, without a fixed horizon. Anything that happens later
because of day d (order shipments, refunds, late-arriving events, campaign sends on day two) is
drawn on day d with a future timestamp and only written once its partition is due.

Everything is vectorised over persons or sessions; the only Python loops are over days and over
the handful of slots a session can have.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import config as C
from .formats import (
    SHARED_DEVICE_SERIAL,
    T_ACCOUNT,
    T_EMAIL,
    T_MEMBER,
    T_OPENID,
    T_PHONE,
    T_UNIONID,
    TEST_PHONE_BASE,
)

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
# Local (UTC+8) hour-of-day weights for sessions: quiet nights, a lunch bump, busy evenings.
HOUR_WEIGHTS = np.array(
    [0.5, 0.3, 0.2, 0.2, 0.2, 0.4, 1, 2, 3, 3.5, 4, 4, 4.5, 4, 3.5, 3.5, 4, 4.5, 5, 6, 7, 7, 5.5, 2.5]
)
HOUR_P = HOUR_WEIGHTS / HOUR_WEIGHTS.sum()

# Session kinds
BROWSE, PURCHASE, REGISTER, BIND, PUSH, REFUND, DEMO = range(7)
# Event slots inside a session, in time order (the number is also the sort key)
SLOT_PUSH, SLOT_INSTALL, SLOT_START, SLOT_AUTH, SLOT_BIND, SLOT_BODY = 0, 1, 2, 3, 4, 10
SLOT_FUNNEL, SLOT_REFUND, SLOT_LOGOUT = 1000, 1010, 1020
BODY_EVENTS = np.array(
    [C.EV[e] for e in ("page_view", "product_view", "search", "add_to_cart", "favorite", "share", "coupon_claim")]
)
BODY_P = np.array([0.28, 0.36, 0.12, 0.1, 0.06, 0.04, 0.04])
EVENT_ID_SLOTS = ("dev", "anon", "acct", "open", "union", "phone", "email")
EVENT_DTYPES = {
    **dict.fromkeys(("ms", "hi", "lo"), np.int64),
    **dict.fromkeys(("person", "recv_after", "skew", "did", "p_product", "p_price", "p_order", "p_amount"), np.int32),
    **dict.fromkeys(("etype", "channel", "tform", "bad", "copy", "p_qty", "p_page", "p_ref", "p_utm"), np.int8),
    **dict.fromkeys(("p_search", "p_campaign", "p_coupon"), np.int16),
    **{f"id_{k}": np.int32 for k in EVENT_ID_SLOTS},
    **{f"var_{k}": np.int8 for k in EVENT_ID_SLOTS},
}

SEARCH_TERMS = (
    "iphone",
    "手机壳",
    "耳机",
    "奶粉",
    "纸尿裤",
    "婴儿推车",
    "车厘子",
    "牛奶",
    "鸡蛋",
    "空气炸锅",
    "扫地机器人",
    "冰箱",
    "口红",
    "面霜",
    "防晒",
    "羽绒服",
    "运动鞋",
    "t恤",
    "switch",
    "充电宝",
)
PAGES = (
    "/",
    "/home",
    "/category",
    "/product",
    "/cart",
    "/me",
    "/orders",
    "/promo/spring",
    "/live",
    "/search",
)
REFERRERS = (
    "https://www.baidu.com/",
    "https://weixin.qq.com/",
    "https://www.douyin.com/",
    "https://www.so.com/",
)
UTMS = (
    ("baidu", "cpc", "brand_search"),
    ("wechat", "social", "moments_ad"),
    ("douyin", "video", "spring_sale"),
    ("newsletter", "email", "weekly"),
)
CITIES = (
    "上海",
    "北京",
    "广州",
    "深圳",
    "杭州",
    "成都",
    "南京",
    "武汉",
    "西安",
    "重庆",
    "苏州",
    "天津",
    "长沙",
    "青岛",
)


class Cols:
    """Column-wise accumulator: lists of numpy chunks per column, concatenated once at the end."""

    def __init__(self) -> None:
        self.parts: dict[str, list[np.ndarray]] = defaultdict(list)

    def add(self, **cols: np.ndarray) -> None:
        for k, v in cols.items():
            self.parts[k].append(np.asarray(v))

    def done(self) -> dict[str, np.ndarray]:
        """Concatenate once and drop the chunks (the large tier cannot afford two copies)."""
        if "_done" not in self.__dict__:
            self._done = {k: np.concatenate(self.parts.pop(k)) for k in list(self.parts)}
        return self._done


@dataclass
class Campaign:
    index: int
    campaign_id: str
    channel: str
    start_day: int
    send_days: int
    treatment_share: float
    true_effect: float
    audience: str


def campaign(k: int) -> Campaign:
    channel = C.TOUCH_CHANNELS[k % len(C.TOUCH_CHANNELS)]
    return Campaign(
        index=k,
        campaign_id=f"CMP{k + 1:03d}",
        channel=channel,
        start_day=C.CAMPAIGN_FIRST_DAY + k * C.CAMPAIGN_EVERY_DAYS,
        send_days=2,
        treatment_share=C.CAMPAIGN_SPLITS[k % len(C.CAMPAIGN_SPLITS)],
        true_effect=C.CAMPAIGN_EFFECTS[k % len(C.CAMPAIGN_EFFECTS)],
        audience="dormant_winback" if k % 2 else "all_reachable",
    )


class Forced:
    """Reasons (or placeholder kinds) that must appear at least once: each waits for its start day,
    then takes the first eligible record of the first day that has one."""

    def __init__(self, codes: list[int], start: int, spacing: int) -> None:
        self.pending = [(start + i * spacing, c) for i, c in enumerate(codes)]

    def apply(self, day: int, target: np.ndarray, eligible: Callable[[int], np.ndarray]) -> None:
        keep = []
        for start, code in self.pending:
            if start > day:
                keep.append((start, code))
                continue
            hits = np.flatnonzero(eligible(code) & (target == 0))
            if len(hits):
                target[hits[0]] = code
            else:
                keep.append((start, code))
        self.pending = keep


def draw_codes(rng: np.random.Generator, n: int, rates: list[float], eligible: list[np.ndarray | None]) -> np.ndarray:
    """One code per row: 0 = clean, i+1 = rates[i]; a row takes at most one code."""
    u = rng.random(n)
    out = np.zeros(n, dtype=np.int8)
    lo = 0.0
    for i, r in enumerate(rates):
        hit = (u >= lo) & (u < lo + r)
        if eligible[i] is not None:
            hit &= eligible[i]
        out[hit] = i + 1
        lo += r
    return out


class Simulation:
    """Persons, their identifiers and behaviour; ``run`` fills the record tables day by day."""

    def __init__(self, tier: str, seed: int, start_date: dt.date, log: Callable[[str], None] = print) -> None:
        self.tier_name, self.tier, self.seed, self.start_date = tier, C.TIERS[tier], seed, start_date
        self.log = log
        self.start_ms = (start_date - dt.date(1970, 1, 1)).days * DAY_MS
        self._init_catalog()
        self._init_persons()
        self.events, self.orders, self.order_lines = Cols(), Cols(), Cols()
        self.crm, self.touches, self.erasures = Cols(), Cols(), Cols()
        self.n_orders = 0
        self.next_phone = self.P
        self.next_device = self.P
        self.next_cookie = 2 * self.P
        self.pending_boost: dict[int, list[np.ndarray]] = defaultdict(list)
        self.pending_return: dict[int, list[np.ndarray]] = defaultdict(list)
        self._day = 0
        self.pending_sessions: list[dict[str, np.ndarray]] = []
        self.campaigns: list[Campaign] = []
        self.campaign_audience: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.forced = {
            s: Forced(list(range(1, len(C.REASONS[s]) + 1)), C.FORCED_START_DAY[s], C.FORCED_SPACING_DAYS[s])
            for s in ("events", "orders", "crm_members")
        }
        self.forced_erasure = Forced(
            list(range(1, len(C.REASONS["erasure_requests"]) + 1)),
            C.FORCED_START_DAY["erasure_requests"],
            C.FORCED_SPACING_DAYS["erasure_requests"],
        )
        self.forced_touch_reasons = list(range(1, len(C.REASONS["campaign_touches"]) + 1))
        self.forced_placeholders = Forced(list(range(1, len(C.PLACEHOLDERS) + 1)), 2, 1)
        self.forced_dups = {"events": 2, "orders": 2, "crm_members": 2, "campaign_touches": 2}
        self.days_run = 0

    # ------------------------------------------------------------------ initial population
    def _init_catalog(self) -> None:
        rng = np.random.default_rng([self.seed, 7])
        n = self.tier.products_per_category
        self.product_category = np.repeat(np.arange(len(C.CATEGORIES)), n)
        mu = np.array([m for m, _ in C.CATEGORY_PRICE])[self.product_category]
        sigma = np.array([s for _, s in C.CATEGORY_PRICE])[self.product_category]
        yuan = np.exp(rng.normal(mu, sigma))
        # prices end in .00, .90 or .99 like real shelves
        ending = rng.choice([0, 90, 99], size=len(yuan), p=[0.4, 0.3, 0.3])
        self.product_price = (np.maximum(np.floor(yuan), 1) * 100 + ending).astype(np.int64)
        self.n_products_per_cat = n

    def _init_persons(self) -> None:
        rng = np.random.default_rng([self.seed, 1])
        P = self.P = self.tier.persons
        t = self.tier
        pre = rng.random(P) < C.PREEXISTING_SHARE
        self.arrival = np.where(pre, 0, rng.integers(1, t.days, P)).astype(np.int32)
        has_app = rng.random(P) < C.CHANNEL_ADOPTION["app"]
        ios = has_app & (rng.random(P) < C.CHANNEL_ADOPTION["ios_of_app"])
        mask = np.zeros((P, 6), dtype=bool)
        mask[:, C.IOS] = ios
        mask[:, C.ANDROID] = has_app & ~ios
        for ch in (C.WEB, C.H5, C.MINI, C.OA):
            mask[:, ch] = rng.random(P) < C.CHANNEL_ADOPTION[ch]
        mask[~mask.any(axis=1), C.H5] = True
        w = rng.gamma(1.0, size=(P, 6)) * mask
        self.channel_mask = mask
        self.channel_cum = np.cumsum(w / w.sum(axis=1, keepdims=True), axis=1)
        shop = w.copy()
        shop[:, C.OA] = 0
        only_oa = shop.sum(axis=1) == 0
        shop[only_oa, C.MINI] = 1  # an OA follower buys through the mini program
        self.shop_cum = np.cumsum(shop / shop.sum(axis=1, keepdims=True), axis=1)
        self.has_app, self.ios = has_app, ios
        self.wechat = mask[:, C.MINI] | mask[:, C.OA] | only_oa
        self.has_unionid = self.wechat & (rng.random(P) < C.UNIONID_SHARE)
        self.crm_unionid = rng.random(P) < 0.6

        self.member = pre & (rng.random(P) < C.MEMBER_SHARE_PREEXISTING)
        delay = rng.geometric(1 / 12, P)
        newcomer_registers = ~pre & (rng.random(P) < C.WILL_REGISTER_SHARE)
        late_joiner = pre & ~self.member & (rng.random(P) < 0.15)
        self.register_day = np.where(
            newcomer_registers, self.arrival + delay, np.where(late_joiner, rng.geometric(1 / 60, P), -1)
        ).astype(np.int32)
        self.registered_ms = np.where(self.member, self.start_ms - rng.integers(DAY_MS, 1000 * DAY_MS, P), -1).astype(
            np.int64
        )
        buyer_p = np.where(self.member, 0.75, 0.5)
        self.buyer = rng.random(P) < buyer_p
        b = C.BGNBD
        self.lam = np.where(self.buyer, rng.gamma(b["r"], 1 / b["alpha"], P), 0.0)
        self.dropout = rng.beta(b["a"], b["b"], P)
        self.alive = self.buyer.copy()
        self.visit = rng.gamma(C.VISIT_RATE[0], C.VISIT_RATE[1], P)
        self.pref_cat = rng.choice(len(C.CATEGORIES), size=P, p=np.array(C.CATEGORY_WEIGHTS))
        self.has_email = rng.random(P) < C.EMAIL_SHARE
        self.consent = rng.random(P) < C.CONSENT_SHARE
        self.gender = rng.choice(3, size=P, p=[0.55, 0.4, 0.05]).astype(np.int8)
        birth = (dt.date(1965, 1, 1) - dt.date(1970, 1, 1)).days + rng.integers(0, 41 * 365, P)
        self.birth_day = np.where(rng.random(P) < 0.8, birth, -1).astype(np.int32)  # days since epoch
        self.city = rng.choice(len(CITIES), size=P).astype(np.int8)
        self.login_factor = 0.5 + rng.beta(2, 2, P)

        # What the person typed as phone in CRM / the register form: 0 own number, 1-2 a shared test
        # number, 3 '00000000000', 4 left empty.
        mode = np.zeros(P, dtype=np.int8)
        u = rng.random(P)
        ph, empty = C.CRM_PHONE_PLACEHOLDER_SHARE, C.CRM_PHONE_EMPTY_SHARE
        mode[u < ph] = 3
        mode[(u >= ph) & (u < ph + empty)] = 4
        pre_members = np.flatnonzero(self.member)
        lo = ph + empty
        for k, (share, floor) in enumerate(zip(C.TEST_PHONE_SHARE, C.TEST_PHONE_MIN, strict=True)):
            mode[(u >= lo) & (u < lo + share)] = k + 1
            lo += share
            have = int(np.sum(mode[pre_members] == k + 1))
            if have < floor:
                free = pre_members[mode[pre_members] == 0]
                mode[rng.choice(free, floor - have, replace=False)] = k + 1
        self.phone_mode = mode

        # state
        self.state = np.zeros(P, dtype=np.int8)
        self.cur_phone = np.arange(P, dtype=np.int64)
        self.cur_dev = np.where(has_app, (np.arange(P, dtype=np.int64) << 1) | ios, -1)
        self.dev_installed = pre.copy()
        self.cookie = np.stack([2 * np.arange(P, dtype=np.int64), 2 * np.arange(P, dtype=np.int64) + 1], axis=1)
        self.paid_orders = np.zeros(P, dtype=np.int32)
        self.level = np.zeros(P, dtype=np.int8)
        self.erased_day = np.full(P, -1, dtype=np.int32)

        # Family tablets: 2-4 app-using members share one iPad, each logged in as themselves.
        cand = np.flatnonzero(self.member & has_app)
        sizes = rng.integers(2, 5, t.families)
        chosen = rng.choice(cand, min(int(sizes.sum()), len(cand)), replace=False)
        self.family_dev = np.full(P, -1, dtype=np.int64)
        pos = 0
        for f, size in enumerate(sizes):
            members = chosen[pos : pos + size]
            pos += size
            if len(members) >= 2:
                self.family_dev[members] = ((SHARED_DEVICE_SERIAL + f) << 1) | 1
        # Store demo phones: dozens of members log in on the same Android phone in a shop.
        demo_p, demo_d, demo_day = [], [], []
        for j in range(t.demo_phones):
            k = int(rng.integers(24, 61))
            people = rng.choice(pre_members, min(k, len(pre_members)), replace=False)
            demo_p.append(people)
            demo_d.append(np.full(len(people), (SHARED_DEVICE_SERIAL + 100_000 + j) << 1, dtype=np.int64))
            demo_day.append(rng.integers(1, min(60, t.days), len(people)))
        self.demo_person = np.concatenate(demo_p).astype(np.int64)
        self.demo_dev = np.concatenate(demo_d)
        self.demo_day = np.concatenate(demo_day).astype(np.int32)

    # ------------------------------------------------------------------ simulation
    def run(self, n_days: int) -> None:
        for d in range(self.days_run, n_days):
            self.step(d)
            if self.tier_name != "tiny" and (d % 30 == 29 or d == n_days - 1):
                ev = sum(len(a) for a in self.events.parts["person"])
                self.log(f"  simulated day {d + 1}/{n_days}: {ev:,} event lines, {self.n_orders:,} orders")
        self.days_run = n_days

    def step(self, d: int) -> None:
        rng = np.random.default_rng([self.seed, 2, d])
        self._day = d
        day_ms = self.start_ms + d * DAY_MS
        P = self.P
        arrived_today = self.arrival == d
        self.state[arrived_today] = 1
        arrived = self.state > 0
        u = rng.random((6, P))

        # lifecycle: active -> dormant -> churned, and back
        s = self.state
        new = s.copy()
        h = C.STATE_HAZARD
        a2d = np.where(self.buyer & ~self.alive, h["active_to_dormant_dead"], h["active_to_dormant"])
        new[(s == 1) & (u[0] < a2d)] = 2
        new[(s == 2) & (u[0] < h["dormant_to_churned"])] = 3
        new[(s == 2) & (u[0] > 1 - h["dormant_to_active"])] = 1
        new[(s == 3) & (u[0] < h["churned_to_active"])] = 1
        self.state = new
        back = np.concatenate(self.pending_return.pop(d)) if d in self.pending_return else np.zeros(0, np.int64)
        self.state[back] = 1

        sessions: list[dict[str, np.ndarray]] = []
        crm_people: list[tuple[np.ndarray, np.ndarray]] = []  # (persons, updated_ms)

        if d == 0:  # the CRM's first export holds every member known so far
            m = np.flatnonzero(self.member)
            crm_people.append((m, day_ms + rng.integers(0, 2 * HOUR_MS, len(m))))

        # registrations
        reg = np.flatnonzero((self.register_day == d) & ~self.member & arrived)
        if len(reg):
            ses = self._sessions(rng, reg, day_ms, REGISTER, shop=True)
            self.member[reg] = True
            self.registered_ms[reg] = ses["start"] + 40_000
            sessions.append(ses)
            crm_people.append((reg, ses["start"] + rng.integers(60_000, HOUR_MS, len(reg))))

        hz = C.DAILY_HAZARD
        # phone change: a new number, bound in the app and exported by the CRM
        chg = np.flatnonzero(self.member & arrived & (u[1] < hz["phone_change"]))
        if len(chg):
            self.cur_phone[chg] = self.next_phone + np.arange(len(chg))
            self.next_phone += len(chg)
            self.phone_mode[chg] = 0
            ses = self._sessions(rng, chg, day_ms, BIND, shop=True)
            sessions.append(ses)
            crm_people.append((chg, ses["start"] + rng.integers(60_000, HOUR_MS, len(chg))))
        cons = np.flatnonzero(self.member & arrived & (u[2] < hz["consent_change"]))
        if len(cons):
            self.consent[cons] = ~self.consent[cons]
            crm_people.append((cons, day_ms + self._local_times(rng, len(cons))))
        newdev = np.flatnonzero(self.has_app & arrived & (u[3] < hz["device_change"]))
        if len(newdev):
            self.cur_dev[newdev] = ((self.next_device + np.arange(len(newdev))) << 1) | self.ios[newdev]
            self.next_device += len(newdev)
            self.dev_installed[newdev] = False
        for j, ch in enumerate((C.WEB, C.H5)):
            reset = np.flatnonzero(self.channel_mask[:, ch] & arrived & (u[4 + j] < hz["cookie_reset"]))
            self.cookie[reset, j] = self.next_cookie + np.arange(len(reset))
            self.next_cookie += len(reset)

        # purchases: BG/NBD while alive, plus conversions caused by campaign touches
        cand = np.flatnonzero(self.alive & arrived)
        k = rng.poisson(self.lam[cand])
        buyers = np.repeat(cand, k)
        if d in self.pending_boost:
            boosted = np.concatenate(self.pending_boost.pop(d))
            revive = boosted[rng.random(len(boosted)) < 0.5]
            self.alive[revive] |= self.buyer[revive]
            self.state[boosted] = 1
            buyers = np.concatenate([buyers, boosted])
        if len(buyers):
            sessions.append(self._purchases(rng, buyers, day_ms, crm_people))
            died = cand[(k > 0) & (rng.random(len(cand)) < 1 - (1 - self.dropout[cand]) ** k)]
            self.alive[died] = False

        # browsing
        act = np.flatnonzero(arrived)
        n = rng.poisson(self.visit[act] * np.asarray(C.STATE_FACTOR)[self.state[act]])
        if d > 0:  # a newcomer shows up on the arrival day (day 0 holds everyone already known)
            n = np.where(arrived_today[act] & (n == 0), 1, n)
        browsers = np.concatenate([np.repeat(act, n), back])
        if len(browsers):
            sessions.append(self._sessions(rng, browsers, day_ms, BROWSE))
        demo = self.demo_day == d
        if demo.any():
            sessions.append(self._sessions(rng, self.demo_person[demo], day_ms, DEMO, device=self.demo_dev[demo]))

        # campaigns starting today: audience, arms, touches, effects
        kc = (d - C.CAMPAIGN_FIRST_DAY) // C.CAMPAIGN_EVERY_DAYS
        if d >= C.CAMPAIGN_FIRST_DAY and (d - C.CAMPAIGN_FIRST_DAY) % C.CAMPAIGN_EVERY_DAYS == 0:
            push = self._campaign(rng, campaign(kc), day_ms)
            if push is not None:
                sessions.append(push)
        sessions.extend(self.pending_sessions)
        self.pending_sessions = []

        if sessions:
            self._emit(rng, d, sessions, crm_people)
        if crm_people:
            self._crm(rng, d, crm_people)
        self._erasure(rng, d, day_ms)

    # ------------------------------------------------------------------ helpers
    def _local_times(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Milliseconds after UTC midnight for n sessions, following the local hour profile."""
        hour = rng.choice(24, size=n, p=HOUR_P)
        return ((hour - 8) % 24) * HOUR_MS + rng.integers(0, HOUR_MS, n)

    def _pick_channel(self, rng: np.random.Generator, persons: np.ndarray, cum: np.ndarray) -> np.ndarray:
        r = rng.random(len(persons))[:, None]
        return np.minimum((r > cum[persons]).sum(axis=1), 5).astype(np.int8)

    def _sessions(
        self,
        rng: np.random.Generator,
        persons: np.ndarray,
        day_ms: int,
        kind: int,
        shop: bool = False,
        start: np.ndarray | None = None,
        channel: np.ndarray | None = None,
        device: np.ndarray | None = None,
    ) -> dict[str, np.ndarray]:
        n = len(persons)
        persons = persons.astype(np.int64)
        if channel is None:
            channel = self._pick_channel(rng, persons, self.shop_cum if shop else self.channel_cum)
        if device is None:
            device = np.full(n, -1, dtype=np.int64)
            fam = (self.family_dev[persons] >= 0) & (channel <= C.ANDROID) & (rng.random(n) < C.FAMILY_TABLET_USE)
            device[fam] = self.family_dev[persons[fam]]
            channel = np.where(fam, C.IOS, channel).astype(np.int8)
        else:
            channel = np.full(n, C.ANDROID, dtype=np.int8)
        if start is None:
            start = day_ms + self._local_times(rng, n)
        return {
            "person": persons,
            "kind": np.full(n, kind, dtype=np.int8),
            "channel": channel,
            "start": start.astype(np.int64),
            "device": device,
            "order": np.full(n, -1, dtype=np.int64),
            "campaign": np.full(n, -1, dtype=np.int16),
            "reg": np.full(n, kind == REGISTER, dtype=bool),
            "paid": np.zeros(n, dtype=bool),
            "amount": np.full(n, -1, dtype=np.int64),
            "item0": np.full(n, -1, dtype=np.int64),
        }

    def _purchases(
        self, rng: np.random.Generator, buyers: np.ndarray, day_ms: int, crm_people: list
    ) -> dict[str, np.ndarray]:
        ses = self._sessions(rng, buyers, day_ms, PURCHASE, shop=True)
        n = len(buyers)
        # first purchase of a guest: the register event happens in the same session
        newcomer = ~self.member[buyers]
        first = np.zeros(n, dtype=bool)
        _, idx = np.unique(buyers, return_index=True)
        first[idx] = True
        reg = newcomer & first
        ses["reg"] = reg
        joined = buyers[reg]
        self.member[joined] = True
        self.registered_ms[joined] = ses["start"][reg] + 40_000
        if len(joined):
            crm_people.append((joined, ses["start"][reg] + rng.integers(60_000, HOUR_MS, len(joined))))
        orders = self.n_orders + np.arange(n)
        self.n_orders += n
        ses["order"] = orders
        # items: mostly the preferred category, 1-3 lines, mostly quantity 1
        n_items = 1 + (rng.random(n) < 0.3) + (rng.random(n) < 0.1)
        items_p = np.full((n, 3), -1, dtype=np.int32)
        items_q = np.zeros((n, 3), dtype=np.int8)
        npc = self.n_products_per_cat
        for j in range(3):
            cat = np.where(rng.random(n) < 0.75, self.pref_cat[buyers], rng.integers(0, 6, n))
            prod = cat * npc + rng.integers(0, npc, n)
            has = j < n_items
            items_p[has, j] = prod[has]
            items_q[has, j] = rng.choice([1, 2, 3], size=n, p=[0.8, 0.15, 0.05])[has]
        price = np.where(items_p >= 0, self.product_price[np.maximum(items_p, 0)], 0)
        subtotal = (price * items_q).sum(axis=1)
        discount = np.where(rng.random(n) < 0.4, (subtotal * rng.uniform(0.05, 0.2, n)).astype(np.int64), 0)
        cancelled = rng.random(n) < C.CANCEL_SHARE
        refunded = ~cancelled & (rng.random(n) < C.REFUND_SHARE)
        self.paid_orders[buyers[~cancelled]] += 1
        level = np.searchsorted(np.asarray(C.LEVEL_THRESHOLDS), self.paid_orders[buyers], side="right")
        up = np.flatnonzero(self.member[buyers] & (level > self.level[buyers]))
        if len(up):
            p = buyers[up]
            self.level[p] = level[up]
            # several purchases on one day give one row per purchase that crossed a threshold;
            # keep the last so the row shows the final level
            _, last = np.unique(p[::-1], return_index=True)
            keep = up[::-1][last]
            crm_people.append((buyers[keep], ses["start"][keep] + 2 * HOUR_MS))
        ses["paid"] = ~cancelled
        ses["amount"] = (subtotal - discount).astype(np.int64)
        ses["item0"] = items_p[:, 0].astype(np.int64)
        recv = rng.random(n) < C.RECEIVER_PHONE_SHARE
        self.orders.add(
            order=orders,
            person=buyers.astype(np.int64),
            channel=ses["channel"],
            items_p=items_p,
            items_q=items_q,
            items_price=price.astype(np.int64),
            amount=(subtotal - discount).astype(np.int64),
            discount=discount.astype(np.int64),
            cancelled=cancelled,
            refunded=refunded,
            receiver_phone=np.where(recv, self.cur_phone[buyers], -1),
            receiver_var=np.where(recv & (rng.random(n) < C.DIRTY_PHONE_SHARE), rng.integers(1, 6, n), 0).astype(
                np.int8
            ),
            created=np.zeros(n, dtype=np.int64),  # filled once the session's events have times
            paid=np.zeros(n, dtype=np.int64),
        )
        return ses

    def _campaign(self, rng: np.random.Generator, c: Campaign, day_ms: int) -> dict[str, np.ndarray] | None:
        self.campaigns.append(c)
        arrived = self.state > 0
        if c.channel == "push":
            elig = self.member & self.has_app & arrived
        elif c.channel == "sms":
            elig = self.member & self.consent & (self.phone_mode == 0) & arrived
        elif c.channel == "email":
            elig = self.member & self.consent & self.has_email & arrived
        else:
            elig = self.channel_mask[:, C.OA] & arrived
        elig &= self.erased_day < 0
        share = np.where(self.state >= 2, 0.8, 0.1) if c.audience == "dormant_winback" else C.CAMPAIGN_AUDIENCE_SHARE
        aud = np.flatnonzero(elig & (rng.random(self.P) < share)).astype(np.int64)
        n = len(aud)
        treated = rng.random(n) < c.treatment_share
        sent = day_ms + rng.integers(0, c.send_days, n) * DAY_MS + rng.integers(2 * HOUR_MS, 13 * HOUR_MS, n)
        # which identifier the marketing tool addressed
        if c.channel == "push":
            kind = np.where(rng.random(n) < 0.8, T_ACCOUNT, T_MEMBER)
            ident = aud.copy()
        elif c.channel == "sms":
            kind = np.where(rng.random(n) < 0.85, T_PHONE, T_MEMBER)
            ident = np.where(kind == T_PHONE, self.cur_phone[aud], aud)
        elif c.channel == "email":
            kind = np.full(n, T_EMAIL)
            ident = aud.copy()
        else:
            use_union = self.has_unionid[aud] & (rng.random(n) < 0.7)
            kind = np.where(use_union, T_UNIONID, T_OPENID)
            ident = np.where(use_union, aud, 2 * aud + 1)
        var = np.zeros(n, dtype=np.int8)
        dirty = rng.random(n)
        dirty_phone = (kind == T_PHONE) & (dirty < C.DIRTY_PHONE_SHARE)
        dirty_email = (kind == T_EMAIL) & (dirty < C.DIRTY_EMAIL_SHARE)
        var[dirty_phone] = 10 + rng.integers(1, 6, n)[dirty_phone]
        var[dirty_email] = 10 + rng.integers(1, 4, n)[dirty_email]
        bad = draw_codes(rng, n, list(C.BAD_RATES["campaign_touches"].values()), [None] * 13)
        # the first campaigns carry one line of every touch reason, at most four per campaign
        take = self.forced_touch_reasons[:4] if n >= 20 else []
        for j, code in enumerate(take):
            bad[(j + 1) * (n // 5)] = code
        self.forced_touch_reasons = self.forced_touch_reasons[len(take) :]
        dup = (rng.random(n) < C.DUPLICATE_RATES["campaign_touches"]) & (bad == 0)
        if self.forced_dups["campaign_touches"] and n > 40:
            dup[np.flatnonzero(bad == 0)[-self.forced_dups["campaign_touches"] :]] = True
            self.forced_dups["campaign_touches"] = 0
        self.touches.add(
            campaign=np.full(n, c.index, dtype=np.int16),
            person=aud,
            id_kind=kind.astype(np.int8),
            id_idx=ident.astype(np.int64),
            id_var=var,
            treated=treated,
            sent=sent.astype(np.int64),
            touch_hi=rng.integers(0, 2**63, n, dtype=np.int64),
            bad=bad,
            dup=dup,
        )
        self.campaign_audience[c.index] = (aud, treated)
        # effects: a treated person converts within 7 days with probability true_effect, and
        # dormant or churned treated persons come back more often when the campaign works
        t_idx = np.flatnonzero(treated)
        if c.true_effect > 0 and len(t_idx):
            conv = t_idx[rng.random(len(t_idx)) < c.true_effect]
            when = (sent[conv] - self.start_ms) // DAY_MS + rng.integers(0, 7, len(conv))
            for day in np.unique(when):
                self.pending_boost[int(day)].append(aud[conv[when == day]])
            sleepy = t_idx[(self.state[aud[t_idx]] >= 2) & (rng.random(len(t_idx)) < 3 * c.true_effect)]
            when = (sent[sleepy] - self.start_ms) // DAY_MS + rng.integers(0, 7, len(sleepy))
            for day in np.unique(when):
                self.pending_return[int(day)].append(aud[sleepy[when == day]])
        if c.channel != "push":
            return None
        click = t_idx[rng.random(len(t_idx)) < C.PUSH_CTR]
        if not len(click):
            return None
        p = aud[click]
        ses = self._sessions(
            rng,
            p,
            day_ms,
            PUSH,
            start=sent[click] + rng.integers(10_000, 2 * HOUR_MS, len(click)),
            channel=np.where(self.ios[p], C.IOS, C.ANDROID).astype(np.int8),
        )
        ses["campaign"] = np.full(len(p), c.index, dtype=np.int16)
        return ses

    def _erasure(self, rng: np.random.Generator, d: int, day_ms: int) -> None:
        n = rng.poisson(self.tier.erasures_per_day) + (d in C.ERASURE_FORCED_DAYS)
        bad = np.zeros(n, dtype=np.int8)
        if any(s <= d for s, _ in self.forced_erasure.pending):
            bad = np.concatenate([bad, np.zeros(1, dtype=np.int8)])
            self.forced_erasure.apply(d, bad, lambda code: np.arange(len(bad)) == len(bad) - 1)
            n = len(bad)
        if n == 0:
            return
        cand = np.flatnonzero(self.member & (self.registered_ms < day_ms - 7 * DAY_MS) & (self.erased_day < 0))
        who = rng.choice(cand, n, replace=False).astype(np.int64)
        # a person who asks to be forgotten closes the account and stops coming
        gone = who[bad == 0]
        self.visit[gone] = 0
        self.alive[gone] = False
        self.state[gone] = 3
        r = rng.random(n)
        kind = np.select(
            [(r < 0.4) & (self.phone_mode[who] == 0), (r < 0.6) & self.has_email[who], r < 0.85],
            [T_PHONE, T_EMAIL, T_ACCOUNT],
            T_MEMBER,
        )
        ident = np.where(kind == T_PHONE, self.cur_phone[who], who)
        var = np.where((kind == T_PHONE) & (rng.random(n) < C.DIRTY_PHONE_SHARE), 11, 0).astype(np.int8)
        self.erased_day[who[bad == 0]] = d
        self.erasures.add(
            person=who,
            id_kind=kind.astype(np.int8),
            id_idx=ident,
            id_var=var,
            requested=day_ms + self._local_times(rng, n),
            bad=bad,
            seq=np.arange(n),
            day=np.full(n, d, dtype=np.int32),
        )

    def _crm(self, rng: np.random.Generator, d: int, crm_people: list) -> None:
        who = np.concatenate([p for p, _ in crm_people]).astype(np.int64)
        upd = np.concatenate([t for _, t in crm_people]).astype(np.int64)
        n = len(who)
        mode = self.phone_mode[who]
        phone = np.where(mode == 1, TEST_PHONE_BASE, np.where(mode == 2, TEST_PHONE_BASE + 1, self.cur_phone[who]))
        pvar = np.where(rng.random(n) < C.DIRTY_PHONE_SHARE, 10 + rng.integers(1, 6, n), 0)
        pvar = np.where(mode == 3, 5, np.where(mode == 4, 6, pvar)).astype(np.int8)
        evar = np.where(rng.random(n) < C.DIRTY_EMAIL_SHARE, 10 + rng.integers(1, 4, n), 0)
        no_email = np.where(rng.random(n) < C.CRM_EMAIL_NULL_SHARE, 3, 6)  # 'null' or empty
        evar = np.where(self.has_email[who], evar, no_email).astype(np.int8)
        bad = draw_codes(rng, n, list(C.BAD_RATES["crm_members"].values()), [None] * 3)
        self.forced["crm_members"].apply(d, bad, lambda code: np.ones(n, dtype=bool))
        dup = (rng.random(n) < C.DUPLICATE_RATES["crm_members"]) & (bad == 0)
        if self.forced_dups["crm_members"] and d >= 5:
            free = np.flatnonzero(bad == 0)[: self.forced_dups["crm_members"]]
            dup[free] = True
            self.forced_dups["crm_members"] -= len(free)
        self.crm.add(
            person=who,
            updated=upd,
            phone=phone.astype(np.int64),
            phone_var=pvar,
            email_var=evar,
            unionid=self.has_unionid[who] & self.crm_unionid[who],
            level=self.level[who],
            consent=self.consent[who],
            registered=self.registered_ms[who],
            bad=bad,
            dup=dup,
        )

    # ------------------------------------------------------------------ sessions -> events
    def _emit(self, rng: np.random.Generator, d: int, sessions: list, crm_people: list) -> None:
        s = {k: np.concatenate([x[k] for x in sessions]) for k in sessions[0]}
        order = np.argsort(s["start"], kind="stable")
        s = {k: v[order] for k, v in s.items()}
        ev = self._expand(rng, s)
        # orders get their times from the checkout and pay_order events of their session
        if (s["kind"] == PURCHASE).any():
            self._fill_orders(rng, d, ev, crm_people)
        self._finish_events(rng, d, ev)

    def _expand(self, rng: np.random.Generator, s: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        n = len(s["person"])
        person, kind, ch = s["person"], s["kind"], s["channel"]
        app = ch <= C.ANDROID
        # device used by app sessions; app_install on the first session of a never-used device
        dev = np.where(s["device"] >= 0, s["device"], np.where(app, self.cur_dev[person], -1))
        own = app & (s["device"] < 0)
        install = np.zeros(n, dtype=bool)
        if own.any():
            idx = np.flatnonzero(own & ~self.dev_installed[person])
            if len(idx):
                _, first = np.unique(person[idx], return_index=True)
                install[idx[first]] = True
                self.dev_installed[person[idx]] = True
        member = self.member[person]
        logged = np.isin(kind, [PURCHASE, REGISTER, BIND, REFUND, DEMO]) | (
            member & (rng.random(n) < np.asarray(C.LOGIN_BASE)[ch] * self.login_factor[person])
        )
        logged &= member
        p_explicit = np.select([kind == DEMO, kind == PURCHASE, np.isin(kind, [BIND, REFUND])], [1.0, 0.3, 0.1], 0.15)
        explicit = logged & ~s["reg"] & (rng.random(n) < p_explicit)
        body = np.select(
            [kind == BROWSE, kind == PUSH, kind == DEMO, np.isin(kind, [REGISTER, PURCHASE])],
            [1 + rng.poisson(2.5, n), rng.poisson(2.0, n), 1 + rng.poisson(2.0, n), rng.poisson(1.0, n)],
            0,
        )
        logout = logged & (rng.random(n) < np.where(kind == DEMO, 0.7, 0.03))
        is_purchase = kind == PURCHASE
        paid = is_purchase & s["paid"]

        pieces_s, pieces_slot, pieces_ev = [], [], []

        def add(mask: np.ndarray, slot: int, event: np.ndarray | int) -> None:
            idx = np.flatnonzero(mask)
            pieces_s.append(idx)
            pieces_slot.append(np.full(len(idx), slot, dtype=np.int32))
            pieces_ev.append(np.broadcast_to(np.asarray(event, dtype=np.int8), (n,))[idx])

        add(kind == PUSH, SLOT_PUSH, C.EV["push_click"])
        add(install, SLOT_INSTALL, C.EV["app_install"])
        add(kind != REFUND, SLOT_START, np.where(app, C.EV["app_start"], C.EV["page_view"]))
        add(s["reg"] | explicit, SLOT_AUTH, np.where(s["reg"], C.EV["register"], C.EV["login"]))
        add(kind == BIND, SLOT_BIND, C.EV["bind_phone"])
        reps = np.repeat(np.arange(n), body)
        within = np.arange(len(reps)) - np.repeat(np.cumsum(body) - body, body)
        pieces_s.append(reps)
        pieces_slot.append((SLOT_BODY + within).astype(np.int32))
        pieces_ev.append(BODY_EVENTS[rng.choice(len(BODY_EVENTS), size=len(reps), p=BODY_P)].astype(np.int8))
        for j, e in enumerate(("product_view", "add_to_cart", "checkout")):
            add(is_purchase, SLOT_FUNNEL + j, C.EV[e])
        add(paid, SLOT_FUNNEL + 3, C.EV["pay_order"])
        add(kind == REFUND, SLOT_REFUND, C.EV["refund"])
        add(logout, SLOT_LOGOUT, C.EV["logout"])

        si = np.concatenate(pieces_s)
        slot = np.concatenate(pieces_slot)
        etype = np.concatenate(pieces_ev)
        o = np.lexsort((slot, si))
        si, slot, etype = si[o], slot[o], etype[o]
        m = len(si)
        first = np.r_[True, si[1:] != si[:-1]]
        gap = np.where(
            etype == C.EV["pay_order"],
            10_000 + rng.exponential(60_000, m),
            2_000 + rng.exponential(25_000, m),
        )
        gap = np.where(first, 0, gap).astype(np.int64)
        cs = np.cumsum(gap)
        base = np.maximum.accumulate(np.where(first, cs, 0))
        t = s["start"][si] + cs - base

        p = person[si]
        chs = ch[si]
        ev: dict[str, np.ndarray] = {
            "person": p,
            "etype": etype,
            "ms": t,
            "channel": chs,
            "session": si,
            "slot": slot,
            "kind": kind[si],
            "order": s["order"][si],
        }
        # identities
        is_app = chs <= C.ANDROID
        webby = (chs == C.WEB) | (chs == C.H5)
        wx = chs >= C.MINI
        ev["did"] = np.select(
            [is_app, webby, wx],
            [dev[si], self.cookie[p, np.clip(chs - C.WEB, 0, 1)], 2 * p + (chs == C.OA)],
            -1,
        ).astype(np.int64)
        ids = {k: np.full(m, -1, dtype=np.int64) for k in EVENT_ID_SLOTS}
        var = {k: np.zeros(m, dtype=np.int8) for k in EVENT_ID_SLOTS}
        ids["dev"] = np.where(is_app, ev["did"], -1)
        ids["anon"] = np.where(webby, ev["did"], -1)
        ids["open"] = np.where(wx, ev["did"], -1)
        show_union = wx & self.has_unionid[p] & (rng.random(n)[si] < 0.8)
        ids["union"] = np.where(show_union, p, -1)
        login_slot = np.where(s["reg"] | explicit, SLOT_AUTH, 0)[si]
        acct = logged[si] & (slot >= login_slot)
        ids["acct"] = np.where(acct, p, -1)
        is_reg = etype == C.EV["register"]
        is_login = etype == C.EV["login"]
        is_bind = etype == C.EV["bind_phone"]
        r = rng.random(m)
        with_phone = (is_reg & (r < 0.7)) | (is_login & (r < 0.3)) | is_bind
        mode = self.phone_mode[p]
        ids["phone"] = np.where(
            with_phone,
            np.where(
                is_reg & (mode == 1),
                TEST_PHONE_BASE,
                np.where(is_reg & (mode == 2), TEST_PHONE_BASE + 1, self.cur_phone[p]),
            ),
            -1,
        )
        var["phone"] = np.where(is_reg & (mode == 3), 5, np.where(is_reg & (mode == 4), 6, 0)).astype(np.int8)
        dirty = rng.random(m) < C.DIRTY_PHONE_SHARE
        var["phone"] = np.where(with_phone & dirty & (var["phone"] == 0), 10 + rng.integers(1, 6, m), var["phone"])
        with_email = self.has_email[p] & ((is_reg & (r > 0.7)) | (is_login & (r > 0.95)))
        ids["email"] = np.where(with_email, p, -1)
        var["email"] = np.where(
            with_email & (rng.random(m) < C.DIRTY_EMAIL_SHARE), 10 + rng.integers(1, 4, m), 0
        ).astype(np.int8)
        # placeholders the SDKs send
        pr = C.PLACEHOLDER_RATES
        r = rng.random(m)
        ph = np.zeros(m, dtype=np.int8)
        ph[(chs == C.IOS) & (r < pr["ios_idfa_zero"])] = 7
        ph[(chs == C.ANDROID) & (r < pr["android_device"])] = rng.choice([1, 4, 6])
        var["dev"] = np.where(ph > 0, ph, 0).astype(np.int8)
        r = rng.random(m)
        lo = (is_app | webby) & (ids["acct"] < 0) & (r < pr["account_logged_out"])
        var["acct"] = np.where(lo, rng.integers(1, 4, m), 0).astype(np.int8)
        r = rng.random(m)
        var["anon"] = np.where(webby & (r < pr["anonymous"]), rng.choice(np.array([3, 4, 6]), m), 0).astype(np.int8)
        r = rng.random(m)
        ph_phone = (ids["phone"] >= 0) & (var["phone"] == 0) & (r < pr["phone"])
        var["phone"] = np.where(ph_phone, rng.choice(np.array([5, 6]), m), var["phone"]).astype(np.int8)
        ev["placeholder_forced"] = np.zeros(m, dtype=np.int8)

        def eligible_ph(code: int) -> np.ndarray:
            if code == 7:
                return (chs == C.IOS) & (var["dev"] == 0)
            if code in (1, 2, 3):
                return (is_app | webby) & (ids["acct"] < 0) & (var["acct"] == 0)
            if code == 4:
                return webby & (var["anon"] == 0)
            return (ids["phone"] >= 0) & (var["phone"] == 0)

        target = np.zeros(m, dtype=np.int8)
        self.forced_placeholders.apply(self._day, target, eligible_ph)
        for code in np.unique(target[target > 0]):
            i = np.flatnonzero(target == code)
            slot_name = "dev" if code == 7 else "acct" if code in (1, 2, 3) else "anon" if code == 4 else "phone"
            var[slot_name][i] = code
        for k in EVENT_ID_SLOTS:
            ev[f"id_{k}"] = ids[k]
            ev[f"var_{k}"] = var[k]

        # properties
        prod = np.full(m, -1, dtype=np.int32)
        npc = self.n_products_per_cat
        needs_prod = np.isin(etype, [C.EV[e] for e in ("product_view", "add_to_cart", "favorite", "share")])
        cat = np.where(rng.random(m) < 0.65, self.pref_cat[p], rng.integers(0, 6, m))
        prod = np.where(
            needs_prod & ((etype != C.EV["share"]) | (rng.random(m) < 0.6)),
            cat * npc + rng.integers(0, npc, m),
            -1,
        )
        funnel_prod = (slot == SLOT_FUNNEL) | (slot == SLOT_FUNNEL + 1)
        prod = np.where(funnel_prod, s["item0"][si], prod)
        ev["p_product"] = prod.astype(np.int32)
        ev["p_price"] = np.where((prod >= 0) & (etype != C.EV["share"]), self.product_price[np.maximum(prod, 0)], -1)
        ev["p_qty"] = np.where(etype == C.EV["add_to_cart"], rng.choice([1, 1, 1, 2, 3], m), 0).astype(np.int8)
        has_order = np.isin(etype, [C.EV["checkout"], C.EV["pay_order"], C.EV["refund"]])
        ev["p_order"] = np.where(has_order, ev["order"], -1)
        ev["p_amount"] = np.where(has_order, s["amount"][si], -1)
        ev["p_search"] = np.where(etype == C.EV["search"], rng.integers(0, len(SEARCH_TERMS), m), -1).astype(np.int16)
        pv = etype == C.EV["page_view"]
        ev["p_page"] = np.where(pv, rng.integers(0, len(PAGES), m), -1).astype(np.int8)
        entry = pv & first & webby
        ev["p_ref"] = np.where(entry & (rng.random(m) < 0.4), rng.integers(0, len(REFERRERS), m), -1).astype(np.int8)
        ev["p_utm"] = np.where(entry & (rng.random(m) < 0.2), rng.integers(0, len(UTMS), m), -1).astype(np.int8)
        ev["p_campaign"] = np.where(etype == C.EV["push_click"], s["campaign"][si], -1).astype(np.int16)
        ev["p_coupon"] = np.where(etype == C.EV["coupon_claim"], rng.integers(1, 500, m), -1).astype(np.int16)
        # time format: older SDKs (per session) send epoch ms, a few send UTC
        old = rng.random(n) < np.asarray(C.EPOCH_MS_SESSION_SHARE)[ch]
        z = rng.random(n) < C.UTC_ISO_SHARE
        ev["tform"] = np.where(old, 1, np.where(z, 2, 0)).astype(np.int8)[si]
        return ev

    def _fill_orders(self, rng: np.random.Generator, d: int, ev: dict[str, np.ndarray], crm_people: list) -> None:
        """Order status lines from the checkout / pay_order times, and refund sessions for later."""
        created_parts = self.orders.parts["created"]
        paid_parts = self.orders.parts["paid"]
        first_order = int(self.orders.parts["order"][-1][0])
        created, paid = created_parts[-1], paid_parts[-1]
        co = ev["etype"] == C.EV["checkout"]
        created[ev["order"][co] - first_order] = ev["ms"][co]
        po = ev["etype"] == C.EV["pay_order"]
        paid[ev["order"][po] - first_order] = ev["ms"][po]
        n = len(created)
        cancelled = self.orders.parts["cancelled"][-1]
        refunded = self.orders.parts["refunded"][-1]
        ship = paid + rng.integers(12 * HOUR_MS, 3 * DAY_MS, n)
        done = ship + rng.integers(2 * DAY_MS, 7 * DAY_MS, n)
        refund = paid + rng.integers(1 * DAY_MS, 15 * DAY_MS, n)
        cancel = created + rng.integers(15 * 60_000, HOUR_MS, n)
        oid = np.arange(first_order, first_order + n)
        rows_o, rows_s, rows_t = [oid], [np.zeros(n, dtype=np.int8)], [created]
        for status, mask, t in (
            (1, ~cancelled, paid),
            (4, cancelled, cancel),
            (2, ~cancelled & (~refunded | (refund > ship)), ship),
            (3, ~cancelled & (~refunded | (refund > done)), done),
            (5, refunded, refund),
        ):
            rows_o.append(oid[mask])
            rows_s.append(np.full(int(mask.sum()), status, dtype=np.int8))
            rows_t.append(t[mask])
        lo, ls, lt = np.concatenate(rows_o), np.concatenate(rows_s), np.concatenate(rows_t)
        k = len(lo)
        bad = draw_codes(rng, k, list(C.BAD_RATES["orders"].values()), [None] * 9)
        self.forced["orders"].apply(d, bad, lambda code: np.ones(k, dtype=bool))
        dup = (rng.random(k) < C.DUPLICATE_RATES["orders"]) & (bad == 0)
        if self.forced_dups["orders"] and d >= 4:
            free = np.flatnonzero(bad == 0)[: self.forced_dups["orders"]]
            dup[free] = True
            self.forced_dups["orders"] -= len(free)
        self.order_lines.add(order=lo, status=ls, updated=lt, bad=bad, dup=dup)
        # refund sessions happen days later; their events are drawn now with future times
        r = np.flatnonzero(refunded)
        if len(r):
            persons = self.orders.parts["person"][-1][r]
            ses = self._sessions(
                rng,
                persons,
                0,
                REFUND,
                start=refund[r] + rng.integers(-600_000, -60_000, len(r)),
                channel=self.orders.parts["channel"][-1][r],
            )
            ses["order"] = oid[r]
            ses["amount"] = self.orders.parts["amount"][-1][r]
            self.pending_sessions.append(ses)

    def _finish_events(self, rng: np.random.Generator, d: int, ev: dict[str, np.ndarray]) -> None:
        m = len(ev["person"])
        # received_at: seconds after the event, 1 % a day or more late
        delay = 150 + rng.exponential(800, m)
        late = rng.random(m) < C.LATE_SHARE
        delay = np.where(late, rng.integers(DAY_MS, 3 * DAY_MS, m), delay).astype(np.int64)
        skew = np.where(rng.random(m) < C.CLOCK_SKEW_SHARE, rng.integers(1_000, 600_000, m), 0)
        # retries: identical copies; most within seconds, some a day later
        dup = rng.random(m) < C.DUPLICATE_RATES["events"]
        forced_dup = bool(self.forced_dups["events"]) and d >= 3 and m > 10
        if forced_dup:
            dup[[1, 2]] = True
            self.forced_dups["events"] = 0
        money = (ev["p_price"] >= 0) | (ev["p_amount"] >= 0)
        names = list(C.BAD_RATES["events"])
        bad = draw_codes(
            rng,
            m,
            list(C.BAD_RATES["events"].values()),
            [money if r == "bad_amount" else None for r in names],
        )
        bad[dup] = 0
        amount_code = names.index("bad_amount") + 1
        self.forced["events"].apply(d, bad, lambda code: ~dup & (money if code == amount_code else True))
        hi = rng.integers(0, 2**63, m, dtype=np.int64)
        lo = rng.integers(0, 2**63, m, dtype=np.int64)
        ev.update(
            recv_after=delay,  # received_at - event time
            skew=skew,  # client clock ahead of the true time
            hi=hi,
            lo=lo,
            bad=bad,
            copy=np.zeros(m, dtype=np.int8),
        )
        di = np.flatnonzero(dup)
        if len(di):
            later = rng.random(len(di)) < C.DUPLICATE_LATE_SHARE
            same = rng.random(len(di)) < 0.2
            extra = np.where(later, rng.integers(DAY_MS, 2 * DAY_MS, len(di)), rng.integers(500, 5_000, len(di)))
            extra = np.where(same & ~later, 0, extra)
            if forced_dup:  # one same-instant retry and one a day later, whatever the dice said
                extra[di == 1] = 0
                extra[di == 2] = DAY_MS + 1234
            copy = {k: v[di] for k, v in ev.items()}
            copy["recv_after"] = copy["recv_after"] + extra
            copy["copy"] = np.ones(len(di), dtype=np.int8)
            ev = {k: np.concatenate([ev[k], copy[k]]) for k in ev}
        # compact dtypes: the large tier holds ~40M rows until they are written
        self.events.add(**{k: ev[k].astype(dtype) for k, dtype in EVENT_DTYPES.items()})
