-- int_person_period_activity keeps a person's input fingerprint on their row of the last period,
-- the row an incremental run compares (macros/incremental/person_periods.sql), and on no other
-- row. Returns the rows that break it.
-- In Dagster a check of int_person_period_activity (meta.dagster.ref: a test of several models needs one).
{{ config(meta={'dagster': {'ref': {'name': 'int_person_period_activity'}}}) }}

with

activity as (

    select * from {{ ref('int_person_period_activity') }}

),

last_period as (

    select max(period_end) as period_end
    from {{ ref('int_periods') }}

)

select
    activity.one_id,
    activity.period_end,
    activity.input_fingerprint
from activity
cross join last_period
where (activity.input_fingerprint is not null) != (activity.period_end = last_period.period_end)
