"""Issue 29, items 4 and 15. The PII salt never leaves Python: it is in no file dbt writes (target/,
logs/, the docs manifest) nor in the warehouse, yet the keys are still the salted SHA-256 the
README promises. A DuckDB file that another process holds, or whose folder does not exist, fails
the build within seconds with a message saying which file, who holds it and what to do."""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.settings import PROJECT_DIR
from orchestration.tests.dbt_helpers import DBT, dbt_env
from orchestration.tests.tiny_build import TINY_SEED, simulate

# Distinctive and not the development default, so that any copy of it is found.
SALT = f"salt-probe-{uuid.uuid4().hex}"
# The bound for a build that cannot open its file. It is measured from dbt's first line of
# output: on a machine shared by many jobs, starting the Python interpreter and importing dbt alone
# has taken 15 s, and that part is not dbt's to speed up (the whole run must still end within 60 s).
FAST_FAILURE_SECONDS = 30
WHOLE_RUN_SECONDS = 60


def dbt(args: list[str], raw: Path, work: Path, timeout: float = 600, **extra: str) -> tuple[int, str, float]:
    """Run dbt; returns (exit code, stdout + stderr, seconds). A run still going after `timeout`
    seconds is killed and reported with exit code None."""
    env = dbt_env(raw, work, **extra)
    if "USER_ASSETS_PII_SALT" not in extra:
        env.pop("USER_ASSETS_PII_SALT", None)
    started = time.monotonic()
    try:
        done = subprocess.run(
            [str(DBT), *args], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as slow:
        output = (slow.stdout or b"").decode() if isinstance(slow.stdout, bytes) else slow.stdout or ""
        return None, output, time.monotonic() - started
    return done.returncode, done.stdout + done.stderr, time.monotonic() - started


def failing_build(raw: Path, work: Path, **extra: str) -> tuple[int | None, str, float, float]:
    """`dbt build` expected to fail; returns (exit code, output, seconds from dbt's first line of
    output to its exit, seconds in all). A build still running after 90 s is killed (exit code None)."""
    env = dbt_env(raw, work, **extra)
    started = time.monotonic()
    build = subprocess.Popen(
        [str(DBT), "build"], cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    killer = threading.Timer(90, build.kill)
    killer.start()
    try:
        first_line = build.stdout.readline()
        first_line_at = time.monotonic()
        output = first_line + build.stdout.read()
        code = build.wait()
    finally:
        killer.cancel()
    finished = time.monotonic()
    return (None if code == -signal.SIGKILL else code), output, finished - first_line_at, finished - started


def sha256_key(salt: str, identifier_type: str, value: str) -> str:
    return hashlib.sha256(f"{salt}:{identifier_type}:{value}".encode()).hexdigest()


@pytest.fixture(scope="module")
def salted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A tiny build and `dbt docs generate` with a non-default salt; the folder and dbt's output."""
    work = tmp_path_factory.mktemp("salted")
    simulate("tiny", TINY_SEED, work / "raw")
    outputs = []
    for args in (["build"], ["docs", "generate"]):
        code, output, _ = dbt(args, work / "raw", work, USER_ASSETS_PII_SALT=SALT)
        assert code == 0, f"dbt {' '.join(args)} failed ({code}):\n{output[-6000:]}"
        outputs.append(output)
    return work, "\n".join(outputs)


def test_the_salt_is_in_no_file_dbt_writes_nor_in_the_warehouse(salted: tuple[Path, str]) -> None:
    work, output = salted
    written = [path for folder in ("target", "logs") for path in (work / folder).rglob("*") if path.is_file()]
    assert any(path.name == "partial_parse.msgpack" for path in written)
    assert any(path.name == "manifest.json" for path in written)
    assert any(path.name == "dbt.log" for path in written)
    assert any(path.suffix == ".sql" for path in written)
    leaks = [str(path.relative_to(work)) for path in written if SALT.encode() in path.read_bytes()]
    assert not leaks, f"the salt is written in {leaks}"
    assert SALT not in output
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        definitions = con.execute(
            "select sql from duckdb_views() where sql is not null"
            " union all select sql from duckdb_tables() where sql is not null"
            " union all select macro_definition from duckdb_functions() where macro_definition is not null"
        ).fetchall()
    assert len(definitions) > 50
    assert not [sql for (sql,) in definitions if SALT in sql]
    stored = [path for path in work.glob("warehouse.duckdb*") if SALT.encode() in path.read_bytes()]
    assert not stored


def test_keys_are_the_salted_sha256_of_type_and_normalised_value(salted: tuple[Path, str]) -> None:
    """identifier_key = lower-hex SHA-256 of `<salt>:<identifier_type>:<normalised value>`, computed
    here in Python: exactly, for every identifier whose value is kept (not personal data); and for
    phones and e-mails, the simulator's true identifiers explain the keys in the warehouse."""
    work, _ = salted
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        nodes = con.execute(
            "select identifier_type, identifier_value, identifier_key from intermediate.int_identity_nodes"
        ).df()
    kept = nodes[nodes["identifier_value"].notna()]
    assert len(kept) > 100
    expected = [sha256_key(SALT, t, v) for t, v in zip(kept["identifier_type"], kept["identifier_value"], strict=True)]
    assert list(kept["identifier_key"]) == expected

    truth = pd.read_parquet(work / "truth" / "identifiers.parquet")
    for identifier_type in ("phone", "email"):
        values = truth.loc[truth["identifier_type"] == identifier_type, "identifier_value"]
        true_keys = {sha256_key(SALT, identifier_type, value) for value in values}
        keys = set(nodes.loc[nodes["identifier_type"] == identifier_type, "identifier_key"])
        assert len(keys) > 20, identifier_type
        assert len(keys & true_keys) >= 0.9 * len(keys), (identifier_type, len(keys & true_keys), len(keys))


def test_the_development_salt_warns_and_hashes_like_python(tmp_path: Path) -> None:
    from orchestration.settings import DEFAULT_PII_SALT

    show = ["show", "--output", "json", "--inline", "select {{ hash_identifier(\"'phone'\", \"'13800138000'\") }} as k"]
    code, output, _ = dbt(show, tmp_path, tmp_path)
    assert code == 0, output
    assert "USER_ASSETS_PII_SALT is not set" in output
    assert sha256_key(DEFAULT_PII_SALT, "phone", "13800138000") in output

    code, output, _ = dbt(show, tmp_path, tmp_path, USER_ASSETS_PII_SALT=SALT)
    assert code == 0, output
    assert "USER_ASSETS_PII_SALT is not set" not in output
    assert sha256_key(SALT, "phone", "13800138000") in output
    assert SALT not in output


def parse_first(work: Path, **extra: str) -> None:
    """Parse before the timed run: a full parse alone takes up to a minute on a busy machine."""
    code, output, _ = dbt(["parse"], work / "raw", work, **extra)
    assert code == 0, output


HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
"""


def hold(database: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process (a BI tool, say) with a read-only connection to the file."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(database), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "holding"
    return holder


def test_a_reader_holding_the_file_fails_the_build_within_seconds(tmp_path: Path) -> None:
    database = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(database)).close()
    parse_first(tmp_path)
    holder = hold(database, 300)
    try:
        code, output, seconds, whole = failing_build(tmp_path / "raw", tmp_path)
    finally:
        holder.kill()
        holder.wait()
    assert code is not None, f"dbt build still silent after {whole:.0f} s:\n{output[-3000:]}"
    assert code != 0, output
    assert seconds < FAST_FAILURE_SECONDS and whole < WHOLE_RUN_SECONDS, (seconds, whole)
    assert str(database) in output
    assert f"PID {holder.pid}" in output
    assert "make publish" in output
    assert "Traceback" not in output


def test_a_reader_that_lets_go_while_dbt_waits_is_waited_for(tmp_path: Path) -> None:
    database = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(database)).close()
    parse_first(tmp_path)
    holder = hold(database, 300)
    env = dbt_env(tmp_path / "raw", tmp_path)
    show = subprocess.Popen(
        [str(DBT), "show", "--inline", "select 42 as answer"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    killer = threading.Timer(120, show.kill)
    killer.start()
    try:
        for line in show.stdout:
            lines.append(line)
            if "Waiting" in line:
                holder.kill()  # the reader closes while dbt waits
        code = show.wait(timeout=60)
    finally:
        killer.cancel()
        holder.kill()
        holder.wait()
        show.kill()
    output = "".join(lines)
    assert code == 0, output
    assert f"PID {holder.pid}" in output and str(database) in output
    assert "42" in output


def test_a_database_in_a_missing_folder_fails_within_seconds(tmp_path: Path) -> None:
    database = tmp_path / "no" / "such" / "folder" / "warehouse.duckdb"
    parse_first(tmp_path, USER_ASSETS_DUCKDB_PATH=str(database))
    code, output, seconds, whole = failing_build(tmp_path / "raw", tmp_path, USER_ASSETS_DUCKDB_PATH=str(database))
    assert code is not None, f"dbt build still silent after {whole:.0f} s:\n{output[-3000:]}"
    assert code != 0, output
    assert seconds < FAST_FAILURE_SECONDS and whole < WHOLE_RUN_SECONDS, (seconds, whole)
    assert str(database.parent) in output
    assert "does not exist" in output
    assert "Traceback" not in output
    assert not database.parent.exists()


@pytest.mark.parametrize("salt", ["it's", 'say "x"', "back\\slash", "a${env:HOME}b", "two\nlines"])
def test_a_salt_the_sql_engines_would_interpret_is_refused_without_echoing_it(
    salt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spark substitutes the salt into the SQL text: a quote ends the literal (and Spark's parse
    error prints the statement), a backslash is unescaped, ${ is substituted again."""
    from orchestration import settings

    monkeypatch.setenv("USER_ASSETS_PII_SALT", salt)
    with pytest.raises(settings.UnsafeSaltError) as refused:
        settings.pii_salt()
    assert salt not in str(refused.value) and "USER_ASSETS_PII_SALT" in str(refused.value)


def test_a_plain_strong_salt_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestration import settings

    monkeypatch.setenv("USER_ASSETS_PII_SALT", "k3Y+/z=Qx-_.:9")
    assert settings.pii_salt() == "k3Y+/z=Qx-_.:9"
