{#- Post-hook of int_events_resolved_to_persons on incremental runs: an event that left staging
    (a rebuilt partition no longer accepts it) or that now carries an erased identifier is
    deleted; delete+insert only replaces the events a run selects. Nothing on a full build, nor on
    Spark, where the model is a table rebuilt every run (incremental_materialization()).

    An event can leave staging only from a partition stg_tracking__events rewrote since this
    model's last run (its watermark, model_watermark()): the write log says which
    (macros/incremental/partition_writes.sql), so only those partitions are compared; all of them
    when staging was rebuilt whole since, or either log is missing. The check for erased
    identifiers is left out when the erased identifiers are those of the model's last run
    (erasures_unchanged_since_last_run()): the events the run wrote were selected without them,
    and the older ones it holds carry none. -#}
{% macro delete_events_no_longer_accepted() -%}
    {%- if is_incremental() %}
    {%- set staged_from = partitions_written_since('stg_tracking__events', model_watermark()) %}
    {%- set erasures_unchanged = erasures_unchanged_since_last_run() %}
    {%- if staged_from is not none or not erasures_unchanged %}
    {#- One list of event ids (a union, not an `or` of two subqueries), so the table is read for
        its event ids alone and the few matches; with an `or`, every row was read whole. #}
    {%- set no_longer_accepted -%}
        event_id in (
            {%- if staged_from is not none %}
            {%- set rewritten = '' if staged_from == 'all' else
                " where accepted.partition_date >= cast('" ~ staged_from ~ "' as date)" %}
            select held.event_id
            from {{ this }} as held
            where
                {{ 'true' if staged_from == 'all' else "held.partition_date >= cast('" ~ staged_from ~ "' as date)" }}
                and held.event_id not in (select accepted.event_id from {{ ref('stg_tracking__events') }} as accepted{{ rewritten }})
            {%- if not erasures_unchanged %}

            union all
            {%- endif %}

            {% endif -%}
            {%- if not erasures_unchanged -%}
            select event_identifiers.event_id
            from {{ ref('stg_tracking__event_identifiers') }} as event_identifiers
            inner join {{ ref('int_identity_erased_nodes') }} as erased_nodes
                on event_identifiers.identifier_key = erased_nodes.identifier_key
            where event_identifiers.identifier_status = 'valid'
            {%- endif %}
        )
    {%- endset %}
    {{ delete_logging_persons(no_longer_accepted, 'event_id') }}
    {%- endif %}
    {%- endif %}
{%- endmacro %}
