-- One row per accepted event of a known person that happened before the end of the as-of day,
-- with its session: a person's session ends after `var('session_timeout_minutes')` minutes
-- without an event on any channel or device, and the next event starts a new one.
with

events as (

    select * from {{ ref('int_events_resolved_to_persons') }}
    where one_id is not null
        and event_at < {{ as_of_end() }}

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
        {{ to_local_time('event_at', var('business_time_zone')) }} as event_local_at
    from numbered

)

select * from final
