{#- Post-hook of int_events_resolved_to_persons on incremental runs: an event that left staging
    (a rebuilt partition no longer accepts it) or that now carries an erased identifier is
    deleted; delete+insert only replaces the events a run selects. -#}
{% macro delete_events_no_longer_accepted() -%}
    delete from {{ this }}
    where
        event_id not in (select accepted.event_id from {{ ref('stg_tracking__events') }} as accepted)
        or event_id in (
            select event_identifiers.event_id
            from {{ ref('stg_tracking__event_identifiers') }} as event_identifiers
            inner join {{ ref('int_identity_erased_nodes') }} as erased_nodes
                on event_identifiers.identifier_key = erased_nodes.identifier_key
            where event_identifiers.identifier_status = 'valid'
        )
{%- endmacro %}


{#- Post-hook of int_person_events_as_of on incremental runs: events that no longer belong to a
    person within the as-of window (erased, unresolved, or after a moved-back as-of date). -#}
{% macro delete_person_events_no_longer_resolved() -%}
    delete from {{ this }}
    where event_id not in (
        select resolved.event_id
        from {{ ref('int_events_resolved_to_persons') }} as resolved
        where resolved.one_id is not null and resolved.event_at < {{ as_of_end() }}
    )
{%- endmacro %}
