{{
    config(
        materialized=incremental_materialization(),
        incremental_strategy='logged_delete_insert',
        unique_key='one_id',
        on_schema_change='fail',
        pre_hook="{{ record_person_writes() }}",
        post_hook="{{ delete_persons_missing_from(ref('int_person_events_as_of')) }}",
    )
}}
-- One row per person with an event before the end of the as-of day: activity, channels, apps,
-- sessions, events by type, and habits (preferred channel and category, hour of day and weekday
-- in `var('business_time_zone')`). "Preferred" is the value with the most events; ties go to the
-- value seen most recently, then to the first in alphabetical order.
--
-- Incremental, per person: a run rebuilds the persons whose sessions int_person_events_as_of
-- wrote since its last run (changed_persons_since_last_run()). Each row keeps the fingerprint of
-- the person's events it was built from, which a run compares when there is no log.
{%- set event_columns = [
    'one_id', 'event_id', 'event_at', 'event_date', 'event_local_at', 'event_name', 'session_id',
    'channel', 'app_id', 'category'
] %}
with

{% if is_incremental() %}
changed_persons as (

    {{ changed_persons_since_last_run(
        'int_person_events_as_of', ref('int_person_events_as_of'), this, event_columns, stored=true
    ) }}

),

{% endif %}
events as (

    select {{ event_columns | join(', ') }}
    from {{ ref('int_person_events_as_of') }}
    {%- if is_incremental() %}
        where one_id in (select changed_persons.one_id from changed_persons)
    {%- endif %}

),

totals as (

    select
        one_id,
        count(*) as event_count,
        count(distinct event_date) as active_days,
        count(distinct session_id) as session_count,
        count(distinct channel) as channel_count,
        {{ sorted_distinct_list('channel') }} as channels_used,
        count(distinct app_id) as app_count,
        {{ sorted_distinct_list('app_id') }} as apps_used,
        -- Push needs the app: events on an app channel show it is installed.
        count(*) filter (where channel in ('app_ios', 'app_android')) as app_channel_event_count,
        count(*) filter (
            where {{ iso_weekday('event_local_at') }} in (6, 7)
        ) / count(*) as weekend_event_share,
        {% for event_name in var('event_names') -%}
            count(*) filter (where event_name = '{{ event_name }}') as {{ event_name }}_count,
        {% endfor -%}
        min(event_at) as first_event_at,
        max(event_at) as last_event_at,
        {{ person_fingerprint(event_columns) }} as input_fingerprint
    from events
    group by 1

),

{#- hour() is a bigint on DuckDB and an int on Spark; the contract of dim_persons says bigint. #}
{% set habits = {
    'channel': 'channel',
    'category': 'category',
    'hour': 'cast(hour(event_local_at) as bigint)',
    'weekday': iso_weekday('event_local_at'),
} %}

{#- Counted first, then ranked: Spark resolves no aggregate inside `qualify`. #}
{% for habit, expression in habits.items() %}
    {{ habit }}_counts as (

        select
            one_id,
            {{ expression }} as preferred_{{ habit }},
            count(*) as event_count,
            max(event_at) as last_event_at
        from events
        where {{ expression }} is not null
        group by 1, 2

    ),

    preferred_{{ habit }} as (

        select
            one_id,
            preferred_{{ habit }}
        from {{ habit }}_counts
        qualify row_number() over (
                partition by one_id
                order by event_count desc, last_event_at desc, preferred_{{ habit }}
            ) = 1

    ),

{% endfor %}

final as (

    select
        totals.*,
        {% for habit in habits -%}
            preferred_{{ habit }}.preferred_{{ habit }},
        {% endfor -%}
        '{{ invocation_id }}' as dbt_invocation_id
    from totals
    {% for habit in habits -%}
        left join preferred_{{ habit }} on totals.one_id = preferred_{{ habit }}.one_id
    {% endfor %}

)

select * from final
