-- One row per person with an event before the end of the as-of day: activity, channels, apps,
-- sessions, events by type, and habits (preferred channel and category, hour of day and weekday
-- in `var('business_time_zone')`). "Preferred" is the value with the most events; ties go to the
-- value seen most recently, then to the first in alphabetical order.
with

events as (

    select * from {{ ref('int_person_events_as_of') }}

),

totals as (

    select
        one_id,
        count(*) as event_count,
        count(distinct event_date) as active_days,
        count(distinct session_id) as session_count,
        count(distinct channel) as channel_count,
        string_agg(distinct channel, ',' order by channel) as channels_used,
        count(distinct app_id) as app_count,
        string_agg(distinct app_id, ',' order by app_id) as apps_used,
        -- Push needs the app: events on an app channel show it is installed.
        count(*) filter (where channel in ('app_ios', 'app_android')) as app_channel_event_count,
        count(*) filter (where isodow(event_local_at) in (6, 7)) / count(*) as weekend_event_share,
        {% for event_name in var('event_names') -%}
            count(*) filter (where event_name = '{{ event_name }}') as {{ event_name }}_count,
        {% endfor -%}
        min(event_at) as first_event_at,
        max(event_at) as last_event_at
    from events
    group by 1

),

{% set habits = {
    'channel': 'channel',
    'category': 'category',
    'hour': 'hour(event_local_at)',
    'weekday': 'isodow(event_local_at)',
} %}

{% for habit, expression in habits.items() %}
    preferred_{{ habit }} as (

        select
            one_id,
            {{ expression }} as preferred_{{ habit }}
        from events
        where {{ expression }} is not null
        group by 1, 2
        qualify row_number() over (
                partition by one_id
                order by count(*) desc, max(event_at) desc, {{ expression }}
            ) = 1

    ),

{% endfor %}

final as (

    select
        totals.*,
        {% for habit in habits -%}
            preferred_{{ habit }}.preferred_{{ habit }}
            {%- if not loop.last %},{% endif %}
        {% endfor -%}
    from totals
    {% for habit in habits -%}
        left join preferred_{{ habit }} on totals.one_id = preferred_{{ habit }}.one_id
    {% endfor %}

)

select * from final
