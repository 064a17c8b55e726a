"""Vectorised formatting: identifier strings, timestamps and JSON fragments as Arrow string arrays.

Identifier values are pure functions of (seed, type, integer index) through a bijective 64-bit mix,
so they are unique without a lookup table and identical whichever day first uses them. Arrow string
kernels build whole columns at once, which keeps the large tier within minutes; every value we put
between quotes comes from fixed alphabets or word lists that need no JSON escaping (the tests
re-parse every line).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import config as C

T_DEVICE, T_ANON, T_ACCOUNT, T_OPENID, T_UNIONID, T_PHONE, T_EMAIL, T_MEMBER = range(8)
TYPE_NAMES = (*C.IDENTITY_TYPES, "member_id")
SHARED_DEVICE_SERIAL = 1 << 28  # device serials at or above this are family tablets / demo phones
TEST_PHONE_BASE = 1 << 30  # phone indices at or above this are the shared test numbers

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_HEX_UP = np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8)
_B64 = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", dtype=np.uint8)
# 138 and 139 are left out so a generated number can never be one of the shared test numbers
_PHONE_PREFIXES = np.array(
    [*range(130, 138), 150, 151, 152, 153, *range(155, 160), 170, 176, 177, 178, *range(180, 190), 198, 199],
    dtype=np.int64,
)
_NAMES = tuple(
    [
        "zhangwei",
        "wangfang",
        "lina",
        "liuyang",
        "chenjing",
        "yangli",
        "zhaolei",
        "huangmin",
        "zhoujie",
        "wuxia",
        "xugang",
        "sunli",
        "hema",
        "gaojun",
        "linfeng",
        "luoqi",
        "zhengyu",
        "liangchen",
        "xieting",
        "tangmei",
        "hanbing",
        "fengyu",
        "dengchao",
        "caoxue",
        "pengfei",
        "jiangtao",
        "yuhang",
        "wanglu",
        "amy",
        "kevin",
        "grace",
        "leo",
        "tina",
    ]
)
_DOMAINS = ("qq.com", "163.com", "126.com", "gmail.com", "outlook.com", "sina.com", "foxmail.com")


def splitmix64(x: np.ndarray) -> np.ndarray:
    """Bijective 64-bit mix (SplitMix64 finaliser): distinct inputs give distinct outputs."""
    z = x.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def salted(idx: np.ndarray, seed: int, salt: int) -> np.ndarray:
    """Hash of an index, keyed by seed and a per-type salt; still a bijection of the index."""
    key = splitmix64(np.array([seed * 1_000_003 + salt], dtype=np.uint64))[0]
    with np.errstate(over="ignore"):
        return splitmix64(idx.astype(np.uint64) ^ key)


def _fixed(chars: np.ndarray) -> pa.StringArray:
    """(n, w) uint8 ASCII matrix -> Arrow string array without a Python loop."""
    n, w = chars.shape
    offsets = np.arange(0, n * w + 1, w, dtype=np.int64)
    return pa.LargeStringArray.from_buffers(
        n, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(chars).tobytes())
    ).cast(pa.string())


def hex_chars(x: np.ndarray, upper: bool = False) -> np.ndarray:
    """uint64 -> (n, 16) hex digit matrix."""
    table = _HEX_UP if upper else _HEX
    b = x.astype(">u8").view(np.uint8).reshape(-1, 8)
    out = np.empty((len(x), 16), dtype=np.uint8)
    out[:, 0::2] = table[b >> 4]
    out[:, 1::2] = table[b & 15]
    return out


def uuid_strings(hi: np.ndarray, lo: np.ndarray, upper: bool = False) -> pa.StringArray:
    h = np.concatenate([hex_chars(hi, upper), hex_chars(lo, upper)], axis=1)
    out = np.full((len(hi), 36), ord("-"), dtype=np.uint8)
    for a, b, c in ((0, 8, 0), (9, 13, 8), (14, 18, 12), (19, 23, 16), (24, 36, 20)):
        out[:, a:b] = h[:, c : c + b - a]
    return _fixed(out)


def b64_chars(x: np.ndarray, n: int) -> np.ndarray:
    """uint64 -> (len, n) base64url characters, 6 bits each (n=11 uses every bit: bijective)."""
    out = np.empty((len(x), n), dtype=np.uint8)
    v = x.astype(np.uint64)
    for i in range(n):
        out[:, i] = _B64[((v >> np.uint64(6 * i)) & np.uint64(63)).astype(np.int64)]
    return out


def digits(x: np.ndarray, width: int) -> pa.StringArray:
    return pc.utf8_lpad(pa.array(x.astype(np.int64)).cast(pa.string()), width, "0")


def join(*parts: pa.Array | str) -> pa.Array:
    """Concatenate element-wise; a null in any part gives null (used for optional JSON members)."""
    return pc.binary_join_element_wise(*parts, "")


def affine(idx: np.ndarray, modulus: int, seed: int, salt: int) -> np.ndarray:
    """A seed-dependent permutation of [0, modulus): unique numbers that do not look sequential."""
    rng = np.random.default_rng([seed, salt])
    a = int(rng.integers(1, modulus))
    while np.gcd(a, modulus) != 1:
        a += 1
    b = int(rng.integers(0, modulus))
    # idx * a stays below 2**63 for every index range we use (indices < 2**31, modulus < 2**32)
    return (idx.astype(np.int64) * a + b) % modulus


class EntityFormatter:
    """Raw identifier strings for (type, index) pairs, for one seed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def device(self, idx: np.ndarray) -> pa.Array:
        # low bit of a device index says iOS (upper-case IDFV UUID) or Android (16 hex android_id)
        serial = idx >> 1
        hi = salted(serial, self.seed, 11)
        lo = salted(serial, self.seed, 12)
        ios = (idx & 1) == 1
        out = pc.if_else(pa.array(ios), uuid_strings(hi, lo, upper=True), _fixed(hex_chars(hi)))
        return out

    def anonymous(self, idx: np.ndarray) -> pa.Array:
        return uuid_strings(salted(idx, self.seed, 21), salted(idx, self.seed, 22))

    def account(self, idx: np.ndarray) -> pa.Array:
        return pa.array(10_000_000 + affine(idx, 89_999_999, self.seed, 31).astype(np.int64)).cast(pa.string())

    def member(self, idx: np.ndarray) -> pa.Array:
        return join("M", digits(affine(idx, 999_999_999, self.seed, 81).astype(np.int64), 9))

    def _b64(self, idx: np.ndarray, salt: int, n: int) -> pa.Array:
        # the first 11 characters encode a full bijective hash, so values are unique
        parts = [b64_chars(salted(idx, self.seed, salt + k), 11) for k in range((n + 10) // 11)]
        return _fixed(np.concatenate(parts, axis=1)[:, :n])

    def openid(self, idx: np.ndarray) -> pa.Array:
        return join("o", self._b64(idx, 41, 27))

    def unionid(self, idx: np.ndarray) -> pa.Array:
        return join("oU", self._b64(idx, 51, 26))

    def phone(self, idx: np.ndarray) -> pa.Array:
        idx = idx.astype(np.int64)
        test = idx >= TEST_PHONE_BASE
        m = len(_PHONE_PREFIXES) * 100_000_000
        x = affine(np.where(test, 0, idx) % m, m, self.seed, 61).astype(np.int64)
        number = _PHONE_PREFIXES[x // 100_000_000] * 100_000_000 + x % 100_000_000
        test_numbers = np.array([int(t) for t in C.TEST_PHONES], dtype=np.int64)
        number = np.where(test, test_numbers[np.clip(idx - TEST_PHONE_BASE, 0, len(test_numbers) - 1)], number)
        return pa.array(number).cast(pa.string())

    def email(self, idx: np.ndarray) -> pa.Array:
        h = salted(idx, self.seed, 71)
        names = pa.array(_NAMES).take(pa.array((h % np.uint64(len(_NAMES))).astype(np.int64)))
        domains = pa.array(_DOMAINS).take(pa.array(((h >> np.uint64(20)) % np.uint64(len(_DOMAINS))).astype(np.int64)))
        number = pa.array(affine(idx, 10_000_000, self.seed, 72).astype(np.int64)).cast(pa.string())
        return join(names, number, "@", domains)

    def format(self, kind: int, idx: np.ndarray) -> pa.Array:
        fn = (
            self.device,
            self.anonymous,
            self.account,
            self.openid,
            self.unionid,
            self.phone,
            self.email,
            self.member,
        )[kind]
        if len(idx) == 0:
            return pa.array([], pa.string())
        return fn(np.asarray(idx, dtype=np.int64))

    def normalised(self, kind: int, idx: np.ndarray) -> pa.Array:
        """The value the warehouse should derive: openid scoped by its app_id, the rest as formatted."""
        raw = self.format(kind, idx)
        if kind == T_OPENID:
            app = pa.array(np.asarray(C.APP_IDS, dtype=object)[np.where(np.asarray(idx) & 1, C.OA, C.MINI)])
            return join(app, "/", raw)
        return raw


def dirty_phone(plain: pa.Array, variant: np.ndarray) -> pa.Array:
    """variant 0 plain, 1 '+86 138-0013-8000', 2 '138 0013 8000', 3 '0086…', 4 '+86…', 5 '138-0013-8000'."""
    a = pc.utf8_slice_codeunits(plain, 0, 3)
    b = pc.utf8_slice_codeunits(plain, 3, 7)
    c = pc.utf8_slice_codeunits(plain, 7, 11)
    forms = [
        plain,
        join("+86 ", a, "-", b, "-", c),
        join(a, " ", b, " ", c),
        join("0086", plain),
        join("+86", plain),
        join(a, "-", b, "-", c),
    ]
    return _choose(forms, variant)


def dirty_email(plain: pa.Array, variant: np.ndarray) -> pa.Array:
    """variant 0 plain, 1 ' UPPER@X.COM ', 2 'Capitalised', 3 trailing space."""
    forms = [plain, join(" ", pc.utf8_upper(plain), " "), pc.utf8_capitalize(plain), join(plain, " ")]
    return _choose(forms, variant)


def _choose(forms: list[pa.Array], variant: np.ndarray) -> pa.Array:
    out = forms[0]
    for v in range(1, len(forms)):
        mask = variant == v
        if mask.any():
            out = pc.if_else(pa.array(mask), forms[v], out)
    return out


def _iso_chars(ms: np.ndarray, unit: str, suffix: str, quoted: bool) -> pa.Array:
    """Epoch ms -> ISO-8601 text, built digit by digit in a byte matrix (np.datetime_as_string is
    ten times slower, and this runs for every line of the large tier)."""
    ms = np.asarray(ms, dtype=np.int64)
    days, rem = np.divmod(ms, 86_400_000)
    # civil-from-days (H. Hinnant), valid for the proleptic Gregorian calendar
    z = days + 719_468
    era = np.floor_divide(z, 146_097)
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    fields = [(year, 4), "-", (month, 2), "-", (day, 2), "T", (rem // 3_600_000, 2), ":"]
    fields += [(rem // 60_000 % 60, 2), ":", (rem // 1000 % 60, 2)]
    if unit == "ms":
        fields += [".", (rem % 1000, 3)]
    fields.append(suffix)
    if quoted:
        fields = ['"', *fields, '"']
    cols = []
    for f in fields:
        if isinstance(f, str):
            cols.append(np.broadcast_to(np.frombuffer(f.encode(), dtype=np.uint8), (len(ms), len(f))))
        else:
            v, w = f
            cols.append(np.stack([(v // 10 ** (w - 1 - i)) % 10 + 48 for i in range(w)], axis=1).astype(np.uint8))
    return _fixed(np.concatenate(cols, axis=1))


def iso_local(ms: np.ndarray, unit: str = "ms", quoted: bool = False) -> pa.Array:
    """Epoch ms -> '2026-01-02T18:11:12.345+08:00' (China has no daylight saving)."""
    return _iso_chars(np.asarray(ms, dtype=np.int64) + 8 * 3_600_000, unit, "+08:00", quoted)


def iso_utc(ms: np.ndarray, unit: str = "ms", quoted: bool = False) -> pa.Array:
    return _iso_chars(ms, unit, "Z", quoted)


def money(cents: np.ndarray) -> pa.Array:
    """Integer cents -> JSON number text with two decimals ('12.50'), exact, no float round-off."""
    cents = cents.astype(np.int64)
    sign = np.where(cents < 0, "-", "")
    a = np.abs(cents)
    return join(pa.array(sign), pa.array(a // 100).cast(pa.string()), ".", digits(a % 100, 2))


def qmember(key: str, value: pa.Array) -> pa.Array:
    """',"key":"value"' (a string member) or null."""
    return join(f',"{key}":"', value, '"')


def sparse(present: np.ndarray, build: Callable[[np.ndarray], pa.Array]) -> pa.Array:
    """Build a column only for the rows that have it (most properties are rare), nulls elsewhere."""
    idx = np.flatnonzero(present)
    if len(idx) == len(present):
        return build(idx)
    if not len(idx):
        return pa.nulls(len(present), pa.string())
    rank = np.cumsum(present) - 1
    return build(idx).take(pa.array(np.where(present, rank, 0), mask=~present))


def obj(members: list[pa.Array], n: int) -> pa.Array:
    if not members:
        return pa.array(np.full(n, "{}", dtype=object), pa.string())
    inner = pc.binary_join_element_wise(*members, "", null_handling="replace", null_replacement="")
    return join("{", pc.utf8_slice_codeunits(inner, 1), "}")


def take(values: tuple[str, ...] | list[str], idx: np.ndarray) -> pa.Array:
    return pa.array(list(values), pa.string()).take(pa.array(np.asarray(idx, dtype=np.int64)))
