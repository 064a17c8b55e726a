-- Each person's rows in the person × period tables cover every period from their first to their
-- last, with no gap: the incremental person_periods strategy carries a person's new rows on from
-- their row of the table's last period (macros/incremental/person_periods.sql), which must exist.
-- fct_lifecycle_stages copies the activity's periods; the transitions read both. Returns the
-- persons with a gap, per table.
-- In Dagster a check of fct_rfm_snapshots (meta.dagster.ref: a test of several models needs one).
{{ config(meta={'dagster': {'ref': {'name': 'fct_rfm_snapshots'}}}) }}

with

periods as (

    select
        period_end,
        row_number() over (order by period_end) as period_number
    from {{ ref('int_periods') }}

),

person_periods as (

    select
        'int_person_period_activity' as table_name,
        one_id,
        period_end
    from {{ ref('int_person_period_activity') }}
    union all
    select
        'fct_rfm_snapshots' as table_name,
        one_id,
        snapshot_date as period_end
    from {{ ref('fct_rfm_snapshots') }}

),

spans as (

    select
        person_periods.table_name,
        person_periods.one_id,
        count(*) as period_rows,
        max(periods.period_number) - min(periods.period_number) + 1 as periods_spanned
    from person_periods
    inner join periods on person_periods.period_end = periods.period_end
    group by person_periods.table_name, person_periods.one_id

)

select *
from spans
where period_rows != periods_spanned
