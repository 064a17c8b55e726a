"""Run dbt on the `spark` target (docs/spark.md).

    python -m orchestration.spark_dbt build            # any dbt command and flags
    python -m orchestration.spark_dbt build -s staging

With `method: session` Spark runs inside the dbt process. Two things differ from the plain `dbt`
command, and this runner provides both:
- dbt-spark submits Python models only to Databricks clusters; here they run in the local session
  (`SessionPythonJobHelper`), the default submission method of the `spark` target.
- Starting Spark costs half a minute; `run_dbt` can be called several times in one process
  (make test-spark does), and every call reuses the session the first one started.
- The PII salt reaches Spark SQL as `${env:USER_ASSETS_PII_SALT}`, which Spark substitutes from
  its own environment when it parses a statement (macros/pii/hash_identifier.sql): dbt's Jinja never
  sees the value. The runner sets the variable to the development default when it is unset, and
  warns, before Spark starts.

Requires the `spark` extra (`pip install -e '.[spark]'`) and Java 17 or newer.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from orchestration import settings

SUBMISSION_METHOD = "local_session"


def _install_session_python_models() -> None:
    """Let dbt-spark run Python models in this process's Spark session."""
    from dbt.adapters.base import PythonJobHelper
    from dbt.adapters.spark.impl import SparkAdapter

    class SessionPythonJobHelper(PythonJobHelper):
        def __init__(self, parsed_model: dict[str, Any], credentials: Any) -> None:
            self.name = f"{parsed_model['schema']}.{parsed_model['alias']}"

        def submit(self, compiled_code: str) -> None:
            from pyspark.sql import SparkSession

            spark = SparkSession.builder.getOrCreate()
            namespace = {"spark": spark, "__name__": f"dbt_python_model_{self.name}"}
            exec(compile(compiled_code, f"<dbt python model {self.name}>", "exec"), namespace)

    helpers = dict(SparkAdapter.python_submission_helpers.fget(None))  # type: ignore[attr-defined]
    helpers[SUBMISSION_METHOD] = SessionPythonJobHelper
    SparkAdapter.python_submission_helpers = property(lambda self: helpers)  # type: ignore[method-assign]
    SparkAdapter.default_python_submission_method = property(lambda self: SUBMISSION_METHOD)  # type: ignore[method-assign]


def run_dbt(args: list[str]) -> bool:
    """One dbt invocation on the spark target; True when it succeeded."""
    from dbt.cli.main import dbtRunner

    if "--target" not in args and "-t" not in args:
        args = [*args, "--target", "spark"]
    result = dbtRunner().invoke(args)
    if result.exception is not None:
        print(f"dbt {' '.join(args)} failed: {result.exception}", file=sys.stderr)
    return bool(result.success)


def prepare_environment() -> None:
    # Spark otherwise binds the machine's public address and warns that the hostname is loopback.
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    if settings.pii_salt_is_default():
        print(f"WARNING: {settings.DEFAULT_PII_SALT_NOTE}", file=sys.stderr)
    # The Spark JVM inherits this environment; Spark SQL reads the salt from it.
    os.environ["USER_ASSETS_PII_SALT"] = settings.pii_salt()
    try:
        import pyspark  # noqa: F401
        from dbt.adapters import spark  # noqa: F401
    except ImportError as missing:
        raise SystemExit(
            f"The spark target needs the `spark` extra ({missing.name} is missing): "
            "`make install-spark` or `pip install -e '.[spark]'`."
        ) from missing
    _install_session_python_models()


def main(argv: list[str] | None = None) -> int:
    prepare_environment()
    return 0 if run_dbt(list(sys.argv[1:] if argv is None else argv)) else 1


if __name__ == "__main__":
    raise SystemExit(main())
