{#- The erased identifiers (int_identity_erased_nodes) in one text, as SQL: their count and the
    sum of a hash of each key, so any key added or released changes it. int_events_resolved_to_persons
    records it as its run_state (record_person_writes()) for its next run to compare. -#}
{% macro erased_nodes_fingerprint() -%}
    (
        select
            cast(count(*) as {{ dbt.type_string() }}) || ':'
            || cast(coalesce(sum(hash(erased.identifier_key)), 0) as {{ dbt.type_string() }})
        from {{ ref('int_identity_erased_nodes') }} as erased
    )
{%- endmacro %}


{#- Whether the erased identifiers are the same as at the last committed run of the current model
    (int_events_resolved_to_persons), as its person log's run_state says. Then no event it
    holds from before its cutoff can carry an erased identifier (that run left them out, and
    staging did not rewrite those partitions since: the cutoff is lowered to what it rewrote),
    and no such event can come back (an erasure withdrawn, an identifier released by a split),
    so the run neither searches the older partitions for events it does not hold nor checks
    them for erased identifiers. False without a log or on a full build, and on Spark. -#}
{% macro erasures_unchanged_since_last_run() -%}
    {%- if not (execute and is_incremental() and run_scoped_tests_supported()) -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set watermark = person_log_watermark() -%}
    {%- if not watermark -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set held = person_log_run_state(watermark) -%}
    {%- set now = run_query('select ' ~ erased_nodes_fingerprint()).columns[0].values()[0] -%}
    {{ return(held is not none and held == "'" ~ now ~ "'") }}
{%- endmacro %}
