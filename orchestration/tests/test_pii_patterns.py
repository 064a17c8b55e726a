"""looks_like_pii() (macros/pii/pii_patterns.sql) skips a regex when LIKE, instr and length show it cannot
match. Those shortcuts must never change the answer: on thousands of random strings built from the
characters a phone or an e-mail is made of (ASCII and full-width digits, separators, +86, @ and
its full-width form, %40, hex letters), it says exactly what the two patterns alone say, and on
hand-written cases what a person would."""

from __future__ import annotations

import json
import random
from pathlib import Path

from orchestration.tests.dbt_helpers import dbt_show

PIECES = [
    "1",
    "1",
    "3",
    "8",
    "9",
    "0",
    "5",
    "2",
    "4",
    "6",
    "7",
    "\uff11",
    "\uff13",
    "\uff18",
    "\uff19",
    "\uff10",
    " ",
    ".",
    "-",
    "+",
    "86",
    "\uff18\uff16",
    "\uff0b",
    "a",
    "f",
    "A",
    "x",
    "_",
    "@",
    "\uff20",
    "%40",
    ".com",
    "li",
    "wei",
]

# value, is it personal data
CASES = [
    ("13912345678", True),
    ("+86 139 1234 5678", True),
    ("\uff11\uff13\uff19\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18", True),  # full-width digits
    ("\uff11\uff13\uff19.\uff11\uff12\uff13\uff14.\uff15\uff16\uff17\uff18", True),
    ("call 139-1234-5678 now", True),
    ("li.na@example.com", True),
    ("wang.wei%40example.cn", True),
    ("li\uff20example.com", True),
    ("1391234567", False),  # ten digits: one short
    ("23912345678", False),  # does not start with 1
    ("a13912345678", False),  # inside a run of hex digits
    ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", False),
    ("reactivated_from_dormant", False),
    ("champions", False),
    ("", False),
    ("@", False),
]


def random_values(count: int, seed: int = 7) -> list[str]:
    """Half free mixes of the pieces, half phones and e-mails with one piece changed, dropped or
    added, so that many sit just either side of what the patterns accept."""
    rng = random.Random(seed)
    values = []
    for n in range(count):
        if n % 2:
            values.append("".join(rng.choice(PIECES) for _ in range(rng.randint(0, 16))))
            continue
        digits = "0123456789" if rng.random() < 0.7 else "\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19"
        if rng.random() < 0.6:
            parts = [rng.choice(["", "", "86", "+86", "+86 ", "\uff18\uff16"]), "1", rng.choice("3456789")]
            parts += [rng.choice(["", "", " ", ".", "-"]) + rng.choice(digits) for _ in range(9)]
        else:
            parts = [
                rng.choice(["li", "wei.w", "x_1"]),
                rng.choice(["@", "\uff20", "%40"]),
                "example",
                rng.choice([".cn", ".com", ".c"]),
            ]
        edit = rng.randrange(len(parts))
        action = rng.random()
        if action < 0.25:
            del parts[edit]
        elif action < 0.5:
            parts.insert(edit, rng.choice(PIECES))
        elif action < 0.75:
            parts[edit] = rng.choice(PIECES)
        values.append(rng.choice(["", "", "a", "z ", "id="]) + "".join(parts) + rng.choice(["", "", "f", " x"]))
    return values


def quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def test_the_shortcuts_never_change_the_answer(tmp_path: Path) -> None:
    values = [value for value, _ in CASES] + random_values(4000)
    rows = ", ".join(f"({i}, {quoted(v)})" for i, v in enumerate(values)) + f", ({len(values)}, null)"
    not_hex = "[^0-9A-Fa-f\\\\x{FF10}-\\\\x{FF19}]"
    sql = (
        "{% set patterns_alone %}"
        "coalesce({{ regex_search('v', pii_email_pattern()) }}, false)"
        " or coalesce({{ regex_search('v', '(?:^|"
        + not_hex
        + ")' ~ pii_phone_pattern() ~ '(?:$|"
        + not_hex
        + ")') }}, false)"
        "{% endset %}"
        f"with checked as (select i, v, {{{{ looks_like_pii('v') }}}} as fast, {{{{ patterns_alone }}}} as slow"
        f" from (values {rows}) as t(i, v))"
        " select count(*) as checked, count_if(fast) as found,"
        " count_if(fast is distinct from slow) as differing,"
        " list(i order by i) filter (where fast is distinct from slow) as differing_rows,"
        f" list(fast order by i) filter (where i < {len(CASES)}) as cases"
        " from checked"
    )
    (shown,) = dbt_show(sql, tmp_path, tmp_path)
    differing = [values[i] if i < len(values) else None for i in json.loads(shown["differing_rows"] or "[]")]
    assert shown["differing"] == 0, differing[:10]
    assert shown["checked"] == len(values) + 1
    assert 100 < shown["found"] < len(values) - 100, "the random strings should hold PII and not"
    assert json.loads(shown["cases"]) == [expected for _, expected in CASES]
