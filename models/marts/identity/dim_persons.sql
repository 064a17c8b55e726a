with

persons as (

    select * from {{ ref('int_identity_persons_assigned') }}

),

events as (

    select * from {{ ref('int_events_resolved_to_persons') }}
    where one_id is not null

),

identifier_counts as (

    select
        one_id,
        max(case when is_anchor then identifier_type end) as anchor_identifier_type,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at,
        count(*) as identifier_count,
        {% for identifier_type in var('identity_types') + ['member_id'] -%}
            count(*) filter (where identifier_type = '{{ identifier_type }}')
                as {{ identifier_type }}_count,
        {% endfor -%}
        count(*) filter (where identifier_type = 'account_id') > 0 as has_account
    from persons
    group by 1

),

event_counts as (

    select
        one_id,
        count(*) as event_count,
        min(event_at) as first_event_at,
        max(event_at) as last_event_at
    from events
    group by 1

),

final as (

    select
        identifier_counts.one_id,
        identifier_counts.anchor_identifier_type,
        identifier_counts.identifier_count,
        {% for identifier_type in var('identity_types') + ['member_id'] -%}
            identifier_counts.{{ identifier_type }}_count,
        {% endfor -%}
        identifier_counts.has_account,
        coalesce(event_counts.event_count, 0) as event_count,
        identifier_counts.first_seen_at,
        identifier_counts.last_seen_at,
        event_counts.first_event_at,
        event_counts.last_event_at
    from identifier_counts
    left join event_counts on identifier_counts.one_id = event_counts.one_id

)

select * from final
