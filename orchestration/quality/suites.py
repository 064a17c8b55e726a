"""The suites, one per subject: raw batches (the latest landed partitions of the events) and the
marts. Each reads a small batch (an aggregate or the latest partition) and returns its
expectations, each marked critical (blocks) or warning (recorded)."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache

import pandas as pd
import yaml

from orchestration import settings
from orchestration.quality.core import CRITICAL, WARNING, Subject

EVENT_NAMES = [
    "app_install", "app_start", "register", "login", "logout", "page_view", "product_view", "search",
    "add_to_cart", "favorite", "checkout", "pay_order", "refund", "share", "push_click", "coupon_claim",
    "bind_phone",
]  # fmt: skip
RFM_CLASSES = [
    "important_value", "important_keep", "important_develop", "important_retain",
    "general_value", "general_keep", "general_develop", "general_retain", "prospect",
]  # fmt: skip
LIFECYCLE_STAGES = ["new", "active", "dormant", "churned", "reactivated_from_dormant", "reactivated_from_churned"]
RECENT_DAYS = 7
# A source whose recent lines are rejected above this share is a warning (so is a wholly rejected
# file, whatever the share); USER_ASSETS_GX_REJECT_SHARE_WARN overrides it.
REJECT_SHARE_WARN = float(os.environ.get("USER_ASSETS_GX_REJECT_SHARE_WARN", "0.05"))
# Every source's lines model, whether its files sit in dt= partitions, and whether it is CSV.
LINES_MODELS = {
    "events": ("base_tracking__event_lines", True, False),
    "orders": ("base_oms__order_lines", True, False),
    "crm_members": ("base_crm__member_lines", True, True),
    "campaign_touches": ("base_marketing__campaign_touch_lines", True, False),
    "erasure_requests": ("base_privacy__erasure_request_lines", False, True),
}


def _gxe():
    """Great Expectations takes seconds to import: only when a suite is built, not when Dagster
    loads the code location."""
    import great_expectations.expectations as gxe

    return gxe


# -- raw: the latest landed partitions of the events, one row per partition -------------------------


def read_raw_partitions(con) -> pd.DataFrame:
    return con.execute(
        f"""
        with days as (
            select unnest(generate_series(
                (select max(partition_date) from staging.base_tracking__event_lines) - interval {RECENT_DAYS - 1} day,
                (select max(partition_date) from staging.base_tracking__event_lines),
                interval 1 day))::date as partition_date
        ),
        lines as (
            select
                partition_date,
                count(*) as raw_lines,
                count(*) filter (where line_status = 'rejected') / count(*) as reject_share,
                count(*) filter (where reject_reason in ('malformed_json', 'not_an_object')) / count(*)
                    as unparsable_share,
                -- The contract's taxonomy is closed (an accepted unknown name is a broken rule);
                -- an adapter format keeps unmapped names (fct_unlisted_reference_values).
                count(*) filter (where {settings.events_format() == "contract"} and line_status = 'accepted'
                    and event_name not in ({", ".join(f"'{e}'" for e in EVENT_NAMES)})) as unknown_accepted_events,
                count(*) filter (where line_status = 'accepted'
                    and (event_at < partition_date - interval 3 day
                         or event_at >= partition_date + interval 2 day)) / count(*) as off_day_share,
                count(*) filter (where reject_reason in ('missing_event_id', 'missing_event')) / count(*)
                    as missing_required_share
            from staging.base_tracking__event_lines
            where partition_date >= (select min(partition_date) from days)
            group by 1
        ),
        identifiers as (
            -- Identifier formats: the share of an accepted event's identifiers that are malformed
            -- (a phone that is not a CN mobile, an e-mail without @, ...).
            select
                events.partition_date,
                count(*) filter (where ids.identifier_status = 'invalid') / count(*) as invalid_identifier_share
            from staging.stg_tracking__event_identifiers as ids
            inner join staging.stg_tracking__events as events using (event_id)
            where events.partition_date >= (select min(partition_date) from days)
            group by 1
        )
        select
            cast(days.partition_date as varchar) as partition_date,
            coalesce(lines.raw_lines, 0) as raw_lines,
            coalesce(lines.reject_share, 0) as reject_share,
            coalesce(lines.unparsable_share, 0) as unparsable_share,
            coalesce(lines.unknown_accepted_events, 0) as unknown_accepted_events,
            coalesce(lines.off_day_share, 0) as off_day_share,
            coalesce(lines.missing_required_share, 0) as missing_required_share,
            coalesce(identifiers.invalid_identifier_share, 0) as invalid_identifier_share,
            coalesce(lines.raw_lines, 0) / nullif(avg(coalesce(lines.raw_lines, 0)) over (), 0) as volume_ratio
        from days
        left join lines using (partition_date)
        left join identifiers using (partition_date)
        order by 1
        """
    ).df()


def raw_expectations(frame: pd.DataFrame) -> list:
    gxe = _gxe()
    return [
        gxe.ExpectTableColumnsToMatchSet(
            column_set=[
                "partition_date",
                "raw_lines",
                "reject_share",
                "unparsable_share",
                "unknown_accepted_events",
                "off_day_share",
                "missing_required_share",
                "invalid_identifier_share",
                "volume_ratio",
            ],
            severity=CRITICAL,
        ),
        # A landed day with no events at all is an outage, not a quiet day.
        gxe.ExpectColumnValuesToBeBetween(column="raw_lines", min_value=1, severity=CRITICAL),
        gxe.ExpectColumnValuesToBeBetween(column="volume_ratio", min_value=0.5, max_value=2.0, severity=WARNING),
        gxe.ExpectColumnValuesToBeBetween(column="reject_share", max_value=0.10, severity=CRITICAL),
        gxe.ExpectColumnValuesToBeBetween(column="reject_share", max_value=0.02, severity=WARNING),
        gxe.ExpectColumnValuesToBeBetween(column="unparsable_share", max_value=0.01, severity=WARNING),
        gxe.ExpectColumnValuesToBeBetween(column="unknown_accepted_events", max_value=0, severity=CRITICAL),
        gxe.ExpectColumnValuesToBeBetween(column="off_day_share", max_value=0.05, severity=WARNING),
        gxe.ExpectColumnValuesToBeBetween(column="missing_required_share", max_value=0.01, severity=WARNING),
        gxe.ExpectColumnValuesToBeBetween(column="invalid_identifier_share", max_value=0.10, severity=CRITICAL),
        gxe.ExpectColumnValuesToBeBetween(column="invalid_identifier_share", max_value=0.01, severity=WARNING),
    ]


# -- raw: every source's files, one row per file of the latest landed partitions -------------------


@cache
def wholly_rejected_rule() -> tuple[int, list[str]]:
    """`wholly_rejected_min_lines` and `file_level_reject_reasons` from dbt_project.yml: the dbt
    test no_file_wholly_rejected (tests/generic) reads the same vars."""
    project = yaml.safe_load((settings.PROJECT_DIR / "dbt_project.yml").read_text())
    return int(project["vars"]["wholly_rejected_min_lines"]), list(project["vars"]["file_level_reject_reasons"])


def file_rejects_reader(model: str, partitioned: bool, is_csv: bool) -> Callable:
    """One row per raw file of `model` (the last RECENT_DAYS partitions of a partitioned source):
    its lines, the share rejected, the whole batch's share, whether the file is wholly rejected
    (every line, and at least wholly_rejected_min_lines lines or a file-level reason), and for
    CSV files whether the header differed from the contract (columns ignored or absent)."""
    min_lines, file_level_reasons = wholly_rejected_rule()
    file_level = " or ".join(f"reject_reason like '{pattern}'" for pattern in file_level_reasons) or "false"
    recent = (
        f"where partition_date > (select max(partition_date) from staging.{model}) - interval {RECENT_DAYS} day"
        if partitioned
        else ""
    )
    header = (
        "max(case when ignored_columns is not null or absent_columns is not null then 1 else 0 end)" if is_csv else "0"
    )

    def read(con) -> pd.DataFrame:
        return con.execute(
            f"""
            select
                file_name,
                count(*) as lines,
                count(*) filter (where line_status = 'rejected') / count(*) as reject_share,
                sum(count(*) filter (where line_status = 'rejected')) over () / sum(count(*)) over ()
                    as source_reject_share,
                case
                    when count(*) filter (where line_status = 'rejected') = count(*)
                        and (count(*) >= {min_lines} or count(*) filter (where {file_level}) > 0)
                        then 1
                    else 0
                end as wholly_rejected,
                {header} as header_differs
            from staging.{model}
            {recent}
            group by 1
            order by 1
            """
        ).df()

    return read


def file_reject_expectations(frame: pd.DataFrame) -> list:
    gxe = _gxe()
    return [
        gxe.ExpectTableColumnsToMatchSet(
            column_set=[
                "file_name",
                "lines",
                "reject_share",
                "source_reject_share",
                "wholly_rejected",
                "header_differs",
            ],
            severity=CRITICAL,
        ),
        # A file whose every line is rejected is a delivery lost (e.g. a CSV header without a
        # required column); dbt's no_file_wholly_rejected test warns about the same files. An
        # alert, not a stop: one bad file must not hold back the rest of the build.
        gxe.ExpectColumnValuesToBeBetween(column="wholly_rejected", max_value=0, severity=WARNING),
        gxe.ExpectColumnValuesToBeBetween(column="source_reject_share", max_value=REJECT_SHARE_WARN, severity=WARNING),
        # A CSV header with columns outside the contract, or without an optional one: read by
        # name, but worth a look.
        gxe.ExpectColumnValuesToBeBetween(column="header_differs", max_value=0, severity=WARNING),
    ]


# -- marts -------------------------------------------------------------------------------------


def read_identifier_owners(con) -> pd.DataFrame:
    # Identifiers with more than one person (should be none), plus one summary row so the batch is never empty.
    return con.execute(
        "select identifier_key, count(distinct one_id) as person_count from marts.bdg_identifiers_to_persons"
        " group by 1 having count(distinct one_id) > 1"
        " union all select '__all__', 1"
    ).df()


def identifier_expectations(frame: pd.DataFrame) -> list:
    gxe = _gxe()
    return [gxe.ExpectColumnValuesToBeBetween(column="person_count", min_value=1, max_value=1, severity=CRITICAL)]


def read_latest_rfm(con) -> pd.DataFrame:
    return con.execute(
        "select rfm_class, r_score, f_score, m_score, recency_days, frequency, monetary from marts.fct_rfm_snapshots"
        " where snapshot_date = (select max(snapshot_date) from marts.fct_rfm_snapshots)"
    ).df()


def rfm_expectations(frame: pd.DataFrame) -> list:
    gxe = _gxe()
    return [
        *(
            gxe.ExpectColumnValuesToBeBetween(column=c, min_value=1, max_value=5, severity=CRITICAL)
            for c in ("r_score", "f_score", "m_score")
        ),
        gxe.ExpectColumnValuesToBeInSet(column="rfm_class", value_set=RFM_CLASSES, severity=CRITICAL),
        gxe.ExpectColumnValuesToBeBetween(column="monetary", min_value=0, severity=CRITICAL),
        gxe.ExpectTableRowCountToBeBetween(min_value=1, severity=CRITICAL),
        # Every class should have members in a realistic customer base.
        gxe.ExpectColumnDistinctValuesToContainSet(column="rfm_class", value_set=RFM_CLASSES, severity=WARNING),
    ]


def read_class_shares(con) -> pd.DataFrame:
    return con.execute(
        "select snapshot_date, sum(person_share) as share_total from marts.rpt_rfm_class_summary group by 1"
        " union all select period_end, sum(person_share) from marts.rpt_lifecycle_stage_summary"
        " group by period_end, state_model"
    ).df()


def share_expectations(frame: pd.DataFrame) -> list:
    gxe = _gxe()
    return [
        gxe.ExpectColumnValuesToBeBetween(column="share_total", min_value=0.9999, max_value=1.0001, severity=CRITICAL)
    ]


def read_latest_lifecycle(con) -> pd.DataFrame:
    return con.execute(
        "select lifecycle_stage, operations_stage, days_since_last_event from marts.fct_lifecycle_stages"
        " where period_end = (select max(period_end) from marts.fct_lifecycle_stages)"
    ).df()


def lifecycle_expectations(frame: pd.DataFrame) -> list:
    gxe = _gxe()
    return [
        gxe.ExpectColumnValuesToBeInSet(column="lifecycle_stage", value_set=LIFECYCLE_STAGES, severity=CRITICAL),
        gxe.ExpectColumnValuesToBeBetween(column="days_since_last_event", min_value=0, severity=CRITICAL),
    ]


def read_person_scores(con) -> pd.DataFrame:
    return con.execute(
        "select p.one_id, e.engagement_score, e.engagement_decile, q.p_alive, q.churn_probability,"
        " q.expected_purchases, q.clv_365d"
        " from marts.dim_persons as p"
        " left join marts.fct_person_engagement as e using (one_id)"
        " left join marts.fct_person_predictions as q using (one_id)"
    ).df()


def score_expectations(frame: pd.DataFrame) -> list:
    gxe = _gxe()
    return [
        gxe.ExpectColumnValuesToBeBetween(column="engagement_score", min_value=0, max_value=100, severity=CRITICAL),
        gxe.ExpectColumnValuesToBeBetween(column="engagement_decile", min_value=1, max_value=10, severity=CRITICAL),
        gxe.ExpectColumnValuesToBeBetween(column="p_alive", min_value=0, max_value=1, severity=CRITICAL),
        gxe.ExpectColumnValuesToBeBetween(column="churn_probability", min_value=0, max_value=1, severity=CRITICAL),
        gxe.ExpectColumnValuesToBeBetween(column="expected_purchases", min_value=0, severity=CRITICAL),
        gxe.ExpectColumnValuesToBeBetween(column="clv_365d", min_value=0, severity=WARNING),
        gxe.ExpectColumnValuesToNotBeNull(column="engagement_score", severity=CRITICAL),
    ]


def read_daily_events(con) -> pd.DataFrame:
    return con.execute(
        f"""
        with days as (
            select unnest(generate_series(
                (select max(event_date) from marts.fct_events) - interval {RECENT_DAYS} day,
                (select max(event_date) from marts.fct_events) - interval 1 day, interval 1 day))::date as event_date
        )
        select cast(days.event_date as varchar) as event_date, count(e.event_id) as events
        from days left join marts.fct_events as e using (event_date)
        group by 1 order by 1
        """
    ).df()


def daily_event_expectations(frame: pd.DataFrame) -> list:
    gxe = _gxe()
    mean = float(frame["events"].mean()) if len(frame) else 0.0
    return [
        gxe.ExpectColumnValuesToBeBetween(column="events", min_value=1, severity=CRITICAL),
        gxe.ExpectColumnValuesToBeBetween(column="events", min_value=0.5 * mean, max_value=2 * mean, severity=WARNING),
    ]


SUBJECTS = [
    Subject("raw_events_recent_partitions", "base_tracking__event_lines", read_raw_partitions, raw_expectations),
    Subject(
        "identifiers_one_person_each", "bdg_identifiers_to_persons", read_identifier_owners, identifier_expectations
    ),
    Subject("rfm_latest_snapshot", "fct_rfm_snapshots", read_latest_rfm, rfm_expectations),
    Subject("state_shares_sum_to_one", "rpt_rfm_class_summary", read_class_shares, share_expectations),
    Subject("lifecycle_latest_period", "fct_lifecycle_stages", read_latest_lifecycle, lifecycle_expectations),
    Subject("person_scores_in_range", "fct_person_predictions", read_person_scores, score_expectations),
    Subject("daily_event_volume", "fct_events", read_daily_events, daily_event_expectations),
    *(
        Subject(
            f"reject_shares_{source}", model, file_rejects_reader(model, partitioned, is_csv), file_reject_expectations
        )
        for source, (model, partitioned, is_csv) in LINES_MODELS.items()
    ),
]
