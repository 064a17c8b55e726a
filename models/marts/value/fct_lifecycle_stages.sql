{{
    config(
        materialized=incremental_materialization(),
        incremental_strategy='person_periods',
        on_schema_change='fail',
        pre_hook=[
            "{{ record_person_writes() }}",
            "{{ delete_persons_missing_from(
                ref('int_person_period_activity'), 'source_rows.period_end <= ' ~ held_period_end()
            ) }}",
        ],
    )
}}
-- Behavioural stage at a period's end, from days since the first and the last event up to then:
--   new          first event less than lifecycle_new_days ago
--   active       last event less than lifecycle_dormant_days ago
--   dormant      last event less than lifecycle_churned_days ago
--   churned      longer
-- An active person whose previous period was dormant is reactivated_from_dormant (woken), one
-- whose previous period was churned is reactivated_from_churned (recalled).
-- Operations stage (what marketing does next): activation (new, never paid), conversion
-- (active or reactivated, never paid), retention (new, active or reactivated with a paid order),
-- wake_up (dormant), recall (churned).
--
-- Incremental, per person (macros/incremental/person_periods.sql): a stage depends only on the
-- person's activity rows up to its period. A run rebuilds the persons int_person_period_activity
-- rebuilt or deleted since its last run (its log, changed_persons_since_last_run(); without one,
-- those whose activity up to the held period, the table's last, differs from what the table
-- holds in the columns it copies or derives), adds the rows of the periods completed since for
-- everyone else (from the held row on, for the previous stage), and deletes the persons with no
-- activity left up to the held period. It logs the persons it rebuilt or deleted, for the
-- transitions (macros/incremental/person_writes.sql). Changing the lifecycle_*_days vars needs
-- `--full-refresh`.
{%- set days_since_first_event = calendar_days_between(
    "cast(first_event_at as date)", "period_end"
) %}
{%- set days_since_last_event = calendar_days_between(
    "cast(last_event_at as date)", "period_end"
) %}
with

{% if is_incremental() %}
changed_persons as (

    {{ changed_persons_since_last_run(
        'int_person_period_activity',
        ref('int_person_period_activity'),
        this,
        [
            'one_id', 'period_end', days_since_first_event, days_since_last_event,
            'event_count', 'paid_order_count', 'cast(paid_orders_to_date as bigint)', 'period_gmv'
        ],
        target_columns=[
            'one_id', 'period_end', 'days_since_first_event', 'days_since_last_event',
            'event_count', 'paid_order_count', 'paid_orders_to_date', 'period_gmv'
        ],
        where='period_end <= ' ~ held_period_end(),
    ) }}

),

{% endif %}
activity as (

    select * from {{ ref('int_person_period_activity') }}
    {%- if is_incremental() %}
        where {{ changed_or_held_rows('period_end', ref('int_person_period_activity')) }}
    {%- endif %}

),

recencies as (

    select
        *,
        {{ days_since_first_event }} as days_since_first_event,
        {{ days_since_last_event }} as days_since_last_event
    from activity

),

base_stages as (

    select
        *,
        case
            when days_since_first_event < {{ var('lifecycle_new_days') }} then 'new'
            when days_since_last_event < {{ var('lifecycle_dormant_days') }} then 'active'
            when days_since_last_event < {{ var('lifecycle_churned_days') }} then 'dormant'
            else 'churned'
        end as base_stage
    from recencies

),

with_previous as (

    select
        *,
        lag(base_stage) over (partition by one_id order by period_end) as previous_base_stage
    from base_stages

),

staged as (

    select
        *,
        case
            when
                base_stage = 'active' and previous_base_stage = 'dormant'
                then 'reactivated_from_dormant'
            when
                base_stage = 'active' and previous_base_stage = 'churned'
                then 'reactivated_from_churned'
            else base_stage
        end as lifecycle_stage
    from with_previous

),

final as (

    select
        one_id,
        period_end,
        lifecycle_stage,
        case
            when lifecycle_stage = 'dormant' then 'wake_up'
            when lifecycle_stage = 'churned' then 'recall'
            when paid_orders_to_date > 0 then 'retention'
            when lifecycle_stage = 'new' then 'activation'
            else 'conversion'
        end as operations_stage,
        days_since_first_event,
        days_since_last_event,
        event_count,
        paid_order_count,
        cast(paid_orders_to_date as bigint) as paid_orders_to_date,
        period_gmv
    from staged
    -- An incremental run writes the rebuilt persons' rows and the new periods' (not the held rows
    -- it read for the previous stage).
    where {{ rebuilt_or_new_rows() }}

)

select * from final
