"""Every knob of the simulator in one place: tiers, behaviour parameters and dirt rates.

Rates are per line (or per record) and are drawn day by day, so the output of day d depends only on
the seed, the start date and days <= d (see model.py for why that matters).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

GENERATOR_VERSION = "1.0.0"
DEFAULT_END_DATE = dt.date(2026, 3, 31)


@dataclass(frozen=True)
class Tier:
    persons: int
    days: int
    products_per_category: int
    erasures_per_day: float
    families: int
    demo_phones: int


TIERS: dict[str, Tier] = {
    "tiny": Tier(persons=500, days=120, products_per_category=30, erasures_per_day=0.005, families=3, demo_phones=1),
    "small": Tier(
        persons=50_000,
        days=365,
        products_per_category=200,
        erasures_per_day=0.04,
        families=200,
        demo_phones=3,
    ),
    "large": Tier(
        persons=1_000_000,
        days=365,
        products_per_category=500,
        erasures_per_day=0.5,
        families=4_000,
        demo_phones=40,
    ),
}

# --- contract vocabulary (SPEC section 2) -------------------------------------------------------
EVENTS = (
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
)
EV = {name: i for i, name in enumerate(EVENTS)}
CHANNELS = ("app_ios", "app_android", "web", "h5", "mini_program", "wechat_oa")
APP_IDS = (
    "com.uaw.shop.ios",
    "com.uaw.shop",
    "www.uaw-shop.cn",
    "m.uaw-shop.cn",
    "wx6f1c2a9b3d4e5f70",
    "wx2b7e9d1c4a6f8e03",
)
IOS, ANDROID, WEB, H5, MINI, OA = range(6)
IDENTITY_TYPES = ("device_id", "anonymous_id", "account_id", "openid", "unionid", "phone", "email")
PROPERTIES = (
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
)
ORDER_STATUSES = ("created", "paid", "shipped", "completed", "cancelled", "refunded")
TOUCH_CHANNELS = ("push", "sms", "email", "wechat_template")
TOUCH_IDENTIFIER_TYPES = (*IDENTITY_TYPES, "member_id")
CRM_COLUMNS = (
    "member_id",
    "account_id",
    "phone",
    "email",
    "unionid",
    "gender",
    "birth_date",
    "city",
    "member_level",
    "registered_at",
    "updated_at",
    "marketing_consent",
)
ERASURE_COLUMNS = ("request_id", "identifier_type", "identifier_value", "requested_at")

# --- reason codes, in the order the first failing check wins -----------------------------------
REASONS = {
    "events": (
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
        "bad_amount",
    ),
    "orders": (
        "malformed_json",
        "not_an_object",
        "missing_order_id",
        "missing_status",
        "missing_order_time",
        "missing_updated_at",
        "unknown_status",
        "bad_amount",
        "bad_time",
    ),
    "crm_members": ("wrong_column_count", "missing_member_id", "bad_time"),
    "campaign_touches": (
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
        "bad_time",
        "bad_amount",
    ),
    "erasure_requests": ("wrong_column_count", "missing_request_id", "unknown_identifier_type", "bad_time"),
}

# Per-line probability of each reject reason. Events total ~0.6 %; the rest are rarer because
# back-office systems validate more than client SDKs do.
BAD_RATES = {
    "events": {
        "malformed_json": 0.0012,
        "not_an_object": 0.0002,
        "missing_event_id": 0.0004,
        "missing_event": 0.0002,
        "unknown_event": 0.0010,
        "bad_time": 0.0008,
        "implausible_time": 0.0006,
        "unknown_channel": 0.0003,
        "unknown_identity_type": 0.0004,
        "unknown_property": 0.0006,
        "bad_amount": 0.0010,  # of lines that carry a price or an amount
    },
    "orders": {
        "malformed_json": 0.0008,
        "not_an_object": 0.0001,
        "missing_order_id": 0.0002,
        "missing_status": 0.0002,
        "missing_order_time": 0.0002,
        "missing_updated_at": 0.0002,
        "unknown_status": 0.0005,
        "bad_amount": 0.0005,
        "bad_time": 0.0004,
    },
    "crm_members": {"wrong_column_count": 0.0015, "missing_member_id": 0.0008, "bad_time": 0.0008},
    "campaign_touches": {r: 0.0002 for r in REASONS["campaign_touches"]},
    "erasure_requests": {},  # forced only (see FORCED_START_DAY)
}
# Every reason also appears at least once, on the first eligible record on or after this day,
# so even the tiny tier exercises every code.
# (Touch reasons are forced onto the first campaigns instead, four per campaign: see model.py.)
FORCED_START_DAY = {"events": 1, "orders": 2, "crm_members": 3, "erasure_requests": 12}
FORCED_SPACING_DAYS = {"events": 1, "orders": 1, "crm_members": 2, "erasure_requests": 9}

DUPLICATE_RATES = {"events": 0.005, "orders": 0.002, "campaign_touches": 0.003, "crm_members": 0.004}
DUPLICATE_LATE_SHARE = 0.2  # share of event retries that arrive a day or more after the original

# --- identifiers and their dirt -------------------------------------------------------------------
PLACEHOLDERS = ("0", "-1", "null", "unknown", "00000000000", "", "00000000-0000-0000-0000-000000000000")
IDFA_ZERO = PLACEHOLDERS[6]
TEST_PHONES = ("13800138000", "13900000000")
# Accounts that typed a test number into the register form: the share of members, with a floor so
# the tiny tier still has one number shared by a crowd.
TEST_PHONE_SHARE = (0.01, 0.003)
TEST_PHONE_MIN = (25, 6)
DIRTY_PHONE_SHARE = 0.2  # phones written as '+86 138-...', '138 0013 8000', '0086...' (any source)
DIRTY_EMAIL_SHARE = 0.15  # upper case with spaces
CRM_PHONE_PLACEHOLDER_SHARE = 0.01  # members who typed '00000000000'
CRM_PHONE_EMPTY_SHARE = 0.02  # members who left the phone empty
CRM_EMAIL_NULL_SHARE = 0.05  # of members without e-mail, rows where the export wrote 'null'
PLACEHOLDER_RATES = {
    "ios_idfa_zero": 0.02,  # of iOS lines: limited ad tracking
    "android_device": 0.003,  # '0' / 'unknown' / ''
    "account_logged_out": 0.004,  # SDK sends '0' / '-1' / 'null' when nobody is logged in
    "anonymous": 0.003,  # 'unknown' / 'null' / ''
    "phone": 0.04,  # '00000000000' / '' on lines that carry a phone
}
EPOCH_MS_SESSION_SHARE = (0.10, 0.25, 0.15, 0.15, 0.12, 0.12)  # by channel: older SDKs send epoch ms
UTC_ISO_SHARE = 0.05  # ISO times with 'Z' instead of '+08:00'
LATE_SHARE = 0.01  # events received 1-3 days after they happened
CLOCK_SKEW_SHARE = 0.03  # client clocks up to 10 minutes fast

# --- behaviour -----------------------------------------------------------------------------------
CATEGORIES = ("digital", "mother_baby", "fresh_food", "home_appliances", "beauty", "apparel")
CATEGORY_WEIGHTS = (0.22, 0.12, 0.18, 0.12, 0.18, 0.18)
CATEGORY_PRICE = ((7.3, 0.8), (5.0, 0.6), (4.0, 0.5), (7.0, 0.7), (5.3, 0.6), (5.4, 0.6))  # lognormal yuan
PREEXISTING_SHARE = 0.45  # persons already known before the first simulated day
MEMBER_SHARE_PREEXISTING = 0.7
WILL_REGISTER_SHARE = 0.45  # of newcomers, besides buyers who register at their first purchase
BUYER_SHARE = 0.6
# BG/NBD: purchase rate lambda ~ Gamma(r, 1/alpha) per day, dropout p ~ Beta(a, b) after each purchase.
BGNBD = {"r": 0.9, "alpha": 50.0, "a": 0.7, "b": 4.0}
VISIT_RATE = (0.6, 0.05)  # gamma shape, scale: sessions per day while active
STATE_FACTOR = (0.0, 1.0, 0.12, 0.01)  # not arrived, active, dormant, churned
STATE_HAZARD = {
    "active_to_dormant": 0.006,
    "active_to_dormant_dead": 0.03,
    "dormant_to_churned": 0.012,
    "dormant_to_active": 0.01,
    "churned_to_active": 0.0015,
}
CHANNEL_ADOPTION = {"app": 0.55, "ios_of_app": 0.4, WEB: 0.3, H5: 0.35, MINI: 0.45, OA: 0.25}
LOGIN_BASE = (0.75, 0.75, 0.4, 0.35, 0.7, 0.15)
UNIONID_SHARE = 0.85
EMAIL_SHARE = 0.45
CONSENT_SHARE = 0.7
DAILY_HAZARD = {
    "phone_change": 0.0004,
    "device_change": 0.002,
    "cookie_reset": 0.02,
    "consent_change": 0.0006,
}
CANCEL_SHARE = 0.08
REFUND_SHARE = 0.07
RECEIVER_PHONE_SHARE = 0.65
LEVELS = ("normal", "silver", "gold", "platinum")
LEVEL_THRESHOLDS = (2, 5, 12)  # paid orders
FAMILY_TABLET_USE = 0.3
# Campaign k starts on day CAMPAIGN_FIRST_DAY + k * CAMPAIGN_EVERY_DAYS and sends for two days.
CAMPAIGN_FIRST_DAY = 7
CAMPAIGN_EVERY_DAYS = 21
CAMPAIGN_AUDIENCE_SHARE = 0.35
CAMPAIGN_EFFECTS = (0.06, 0.0, 0.03)  # added 7-day purchase probability, cycling
CAMPAIGN_SPLITS = (0.9, 0.5)  # planned treatment share, cycling
TOUCH_COST_CENTS = {
    "push": 1,
    "sms": 5,
    "email": 1,
    "wechat_template": 2,
}  # per treated touch; control costs 0
PUSH_CTR = 0.06
ERASURE_FORCED_DAYS = (10, 50)  # guarantees a couple of requests even in the tiny tier

# --- tracking formats of the events source (docs/event-formats.md) -----------------------------
# The same simulated events written as each format's own SDK or pipeline would. Only the events
# source changes shape; `contract` is the landing contract above, byte for byte.
EVENT_FORMATS = ("contract", "sensors", "segment", "table")
# The same lines are broken in every format (so the same events are accepted); each contract
# reason becomes the format's nearest reason, in the check order of docs/event-formats.md. A
# format has no unknown event, channel, identity type or property: those lines are broken in a
# way the format can reject instead (see event_formats.py for how each is broken).
_JSON_REASONS = {
    "malformed_json": "malformed_json",
    "not_an_object": "not_an_object",
    "missing_event_id": "missing_event_id",
    "missing_event": "missing_event",
    "unknown_event": "unknown_record_type",
    "bad_time": "bad_time",
    "implausible_time": "implausible_time",
    "unknown_channel": "missing_identity",
    "unknown_identity_type": "missing_identity",
    "unknown_property": "bad_time",
    "bad_amount": "bad_amount",
}
FORMAT_REASONS = {
    "sensors": _JSON_REASONS,
    "segment": _JSON_REASONS,
    "table": {
        "malformed_json": "missing_event_id",
        "not_an_object": "missing_identity",
        "missing_event_id": "missing_event_id",
        "missing_event": "missing_event",
        "unknown_event": "missing_event",
        "bad_time": "bad_time",
        "implausible_time": "implausible_time",
        "unknown_channel": "missing_identity",
        "unknown_identity_type": "missing_identity",
        "unknown_property": "bad_time",
        "bad_amount": "bad_amount",
    },
}
