{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='event_id',
        on_schema_change='fail',
        post_hook="{{ delete_person_events_no_longer_resolved() if is_incremental() }}",
    )
}}
-- One row per accepted event of a known person that happened before the end of the as-of day,
-- with its session: a person's session ends after `var('session_timeout_minutes')` minutes
-- without an event on any channel or device, and the next event starts a new one.
--
-- Incremental: sessions depend only on a person's own events, so a run re-sessions the persons
-- affected since the last one: those with an event in the partitions from the cutoff, an event
-- new to the as-of window, or an event that moved to or from them (merges, splits, erasure).
-- The post-hook deletes events that no longer belong to any person in the window.
{%- set cutoff = incremental_partition_cutoff() %}
with

resolved_events as (

    select * from {{ ref('int_events_resolved_to_persons') }}
    where one_id is not null
        and event_at < {{ as_of_end() }}

),

{% if cutoff %}
changed_events as (

    select
        current_events.one_id as current_one_id,
        previous.one_id as previous_one_id
    from resolved_events as current_events
    full outer join {{ this }} as previous on current_events.event_id = previous.event_id
    where
        current_events.event_id is null
        or previous.event_id is null
        or current_events.one_id != previous.one_id
        or current_events.partition_date >= cast('{{ cutoff }}' as date)

),

affected_persons as (

    select current_one_id as one_id from changed_events
    where current_one_id is not null
    union
    select previous_one_id as one_id from changed_events
    where previous_one_id is not null

),

{% endif %}
events as (

    select * from resolved_events
    {%- if cutoff %}
    where one_id in (select affected_persons.one_id from affected_persons)
    {%- endif %}

),

gaps as (

    select
        *,
        lag(event_at) over (partition by one_id order by event_at, event_id) as previous_event_at
    from events

),

session_starts as (

    select
        *,
        coalesce(
            {{ days_between('previous_event_at', 'event_at') }} * 1440
            > {{ var('session_timeout_minutes') }},
            true
        ) as is_session_start
    from gaps

),

numbered as (

    select
        *,
        sum(case when is_session_start then 1 else 0 end)
            over (partition by one_id order by event_at, event_id rows unbounded preceding)
            as session_number
    from session_starts

),

final as (

    select
        event_id,
        one_id,
        one_id || '-' || cast(session_number as {{ dbt.type_string() }}) as session_id,
        session_number,
        is_session_start,
        event_name,
        channel,
        app_id,
        product_id,
        order_id,
        category,
        price_amount,
        order_amount,
        event_at,
        event_date,
        partition_date,
        {{ to_local_time('event_at', var('business_time_zone')) }} as event_local_at
    from numbered

)

select * from final
