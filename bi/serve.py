"""`make bi`: Apache Superset on 127.0.0.1 with the project's dashboards over the serving copy.

Runs in .venv-bi (bi/constraints.txt). Every step reuses what an earlier run made:

1. the serving copy must exist (`make demo`, then `make publish`), else a message says so;
2. SUPERSET_HOME (bi/superset_home/, git-ignored) is claimed and marked as the project's; a folder
   there that the project did not create is refused, nothing written;
3. a SECRET_KEY is generated once into SUPERSET_HOME/secret_key (mode 0600, never printed);
4. the metadata database (SQLite in SUPERSET_HOME) is upgraded and Superset's roles set up
   (`superset db upgrade`, `superset init`: once per Superset version);
5. the user `admin` is created once, with a generated password written to
   SUPERSET_HOME/admin_password (mode 0600): the console prints where it is, never the password,
   so no build or CI log ever holds it;
6. the dashboards (bi/dashboards/, zipped by bi/bundle.py) are imported (bi/superset_import.py)
   when they, or the serving copy's columns and descriptions, changed since the last import. The
   import replaces only the project's own database, datasets, charts and dashboards (matched by
   their UUIDs): edit them in bi/dashboards/, or save a copy in the UI; anything made in the UI
   under other UUIDs is left alone;
7. Superset is served by gunicorn on 127.0.0.1:BI_PORT (default 8088) until Ctrl-C.

usage: python -m bi.serve [--prepare-only]
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from bi import bundle
from orchestration import safe_paths
from orchestration.settings import PROJECT_DIR

BI_DIR = Path(__file__).resolve().parent
ADMIN = "admin"
CREATOR = "make bi (Superset's metadata database, secret key and admin password)"


class SetupError(RuntimeError):
    """`make bi` cannot go on; the message says what to do."""


def superset_home() -> Path:
    return Path(os.environ.get("BI_SUPERSET_HOME", BI_DIR / "superset_home")).absolute()


def port() -> int:
    return int(os.environ.get("BI_PORT", "8088"))


def dashboard_urls(base: str) -> list[str]:
    return [
        f"{base}/superset/dashboard/{content['slug']}/"
        for name, content in bundle.load_assets().items()
        if name.startswith("dashboards/")
    ]


def private_file(path: Path, content: str) -> None:
    """Write a new file only the owner can read; an existing one is kept as it is."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(content + "\n")


def superset_env(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "SUPERSET_HOME": str(home),
        "SUPERSET_CONFIG_PATH": str(BI_DIR / "superset_config.py"),
        "FLASK_APP": "superset.app:create_app()",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_DIR), os.environ.get("PYTHONPATH")])),
    }


def run_logged(home: Path, command: list[str], log_name: str, stdin: str | None = None) -> None:
    """Run a command in Superset's environment; its output goes to SUPERSET_HOME/logs/<log_name>.log."""
    logs = home / "logs"
    logs.mkdir(exist_ok=True)
    log = logs / f"{log_name}.log"
    with log.open("w") as out:
        done = subprocess.run(
            command,
            cwd=PROJECT_DIR,
            env=superset_env(home),
            input=stdin,
            text=True,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    if done.returncode != 0:
        tail = "\n".join(log.read_text().splitlines()[-15:])
        raise SetupError(f"`{' '.join(command[1:3])}` failed (exit {done.returncode}); the end of {log}:\n{tail}")


def superset(home: Path, *args: str, stdin: str | None = None, log_name: str) -> None:
    run_logged(home, [str(Path(sys.executable).parent / "superset"), *args], log_name, stdin=stdin)


def prepare(home: Path) -> None:
    # Everything written in SUPERSET_HOME (metadata database, key, password, logs) is the owner's alone.
    os.umask(0o077)
    serving_file = bundle.serving_file()
    if not serving_file.exists():
        raise SetupError(
            f"There is no serving copy at {serving_file}: run `make demo`, then `make publish`, then `make bi` again."
        )
    try:
        safe_paths.claim(home, creator=CREATOR)
    except safe_paths.NotOurs as refused:
        raise SetupError(f"{refused}\nSet BI_SUPERSET_HOME to a new or empty folder.") from None

    secret_key = home / "secret_key"
    if not secret_key.exists():
        private_file(secret_key, secrets.token_urlsafe(48))
        print(f"make bi: generated Superset's SECRET_KEY in {secret_key} (kept out of git)")

    superset_version = metadata.version("apache-superset")
    initialised = home / f".initialised-{superset_version}"
    if not initialised.exists():
        print("make bi: setting up Superset's metadata database (first run: about a minute)")
        superset(home, "db", "upgrade", log_name="db_upgrade")
        superset(home, "init", log_name="init")
        initialised.write_text("superset db upgrade and superset init done\n")

    password_file = home / "admin_password"
    if not password_file.exists():
        private_file(password_file, secrets.token_urlsafe(18))
    password = password_file.read_text().strip()
    # The password goes through stdin (FAB's prompt), not the command line other users can see.
    superset(
        home,
        "fab",
        "create-admin",
        "--username",
        ADMIN,
        "--firstname",
        "Superset",
        "--lastname",
        "Admin",
        "--email",
        "admin@localhost",
        stdin=f"{password}\n{password}\n",
        log_name="create_admin",
    )

    imports = home / "import"
    imports.mkdir(exist_ok=True)
    try:
        zipped, digest = bundle.bundle(imports)
    except bundle.BundleError as error:
        raise SetupError(str(error)) from None
    stamp = home / ".imported"
    if not stamp.exists() or stamp.read_text().strip() != digest:
        print("make bi: importing the dashboards of bi/dashboards/")
        run_logged(home, [sys.executable, "-m", "bi.superset_import", str(zipped), ADMIN], "import")
        stamp.write_text(digest + "\n")


def serve(home: Path, bind_port: int) -> int:
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", bind_port)) == 0:
            raise SetupError(
                f"port {bind_port} on 127.0.0.1 is in use: set BI_PORT to a free port (make bi BI_PORT=8089)."
            )
    base = f"http://127.0.0.1:{bind_port}"
    print(f"make bi: Superset on {base} (Ctrl-C stops it)")
    print(f"  log in as {ADMIN}; the password is in {home / 'admin_password'} (readable only by you)")
    for url in dashboard_urls(base):
        print(f"  {url}")
    sys.stdout.flush()
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    command = [
        gunicorn,
        "--bind",
        f"127.0.0.1:{bind_port}",
        "--workers",
        "1",
        "--threads",
        "8",
        "--timeout",
        "120",
        "--log-level",
        "warning",
        "superset.app:create_app()",
    ]
    os.execve(gunicorn, command, superset_env(home))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bi.serve", description=__doc__.split("\n\n")[0])
    parser.add_argument("--prepare-only", action="store_true", help="set up and import, do not serve")
    args = parser.parse_args(argv)
    home = superset_home()
    try:
        prepare(home)
        if not args.prepare_only:
            serve(home, port())
    except SetupError as error:
        print(f"make bi: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
