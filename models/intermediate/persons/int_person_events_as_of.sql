{{
    config(
        materialized=incremental_materialization(),
        incremental_strategy='logged_delete_insert',
        unique_key='one_id',
        on_schema_change='fail',
        pre_hook="{{ record_person_writes(run_state=as_of_end()) }}",
        post_hook="{{ delete_persons_missing_from(
            ref('int_events_resolved_to_persons'), 'source_rows.event_at < ' ~ as_of_end()
        ) }}",
    )
}}
-- One row per accepted event of a known person that happened before the end of the as-of day,
-- with its session: a person's session ends after `var('session_timeout_minutes')` minutes
-- without an event on any channel or device, and the next event starts a new one.
--
-- Incremental, per person: a run rebuilds every row of the persons whose events changed since
-- its last run (new, late, moved or erased events: the persons int_events_resolved_to_persons
-- logged, and those with an event between the last run's as-of end and this one's), deletes
-- the persons left with no event, and keeps everyone else's rows, so it stays equal to a full
-- build (changed_persons_since_last_run(); without a log it compares every person's events).
-- Changing `session_timeout_minutes` or `business_time_zone` needs `--full-refresh`.
{%- set event_columns = [
    'event_id', 'one_id', 'event_name', 'channel', 'app_id', 'product_id', 'order_id',
    'category', 'price_amount', 'order_amount', 'event_at', 'event_date'
] %}
{%- set is_resolved_before_as_of_end = 'one_id is not null and event_at < ' ~ as_of_end() %}
with

resolved_events as (

    select {{ event_columns | join(', ') }}
    from {{ ref('int_events_resolved_to_persons') }}
    where {{ is_resolved_before_as_of_end }}

),

{% if is_incremental() %}
-- Reads the table itself: a second reader of resolved_events would materialise it in full.
changed_persons as (

    {{ changed_persons_since_last_run(
        'int_events_resolved_to_persons',
        ref('int_events_resolved_to_persons'),
        this,
        event_columns,
        where=is_resolved_before_as_of_end,
        bound=as_of_end(),
        bound_column='event_at',
    ) }}

),

{% endif %}
events as (

    select * from resolved_events
    {%- if is_incremental() %}
        where one_id in (select changed_persons.one_id from changed_persons)
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
        {{ to_local_time('event_at', var('business_time_zone')) }} as event_local_at,
        '{{ invocation_id }}' as dbt_invocation_id
    from numbered

)

select * from final
