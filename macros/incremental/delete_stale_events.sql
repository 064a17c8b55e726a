{#- Post-hook of int_events_resolved_to_persons on incremental runs: an event that left staging
    (a rebuilt partition no longer accepts it) or that now carries an erased identifier is
    deleted; delete+insert only replaces the events a run selects. Nothing on a full build, nor on
    Spark, where the model is a table rebuilt every run (incremental_materialization()). -#}
{% macro delete_events_no_longer_accepted() -%}
    {%- if is_incremental() %}
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
    {%- endif %}
{%- endmacro %}

