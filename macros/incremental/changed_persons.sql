{#- The persons an incremental run of a per-person model rebuilds (a query of `one_id`): those
    whose rows in `source` (the rows meeting `where`) differ from the rows `target` holds, new
    persons included. `columns` are the input columns the model keeps unchanged (one_id among
    them). Rows are compared per person by their count and by the
    bit-xor of a 64-bit hash of `columns` per row, so the order of rows does not matter and a
    changed person goes unnoticed only on a hash collision. Persons with no source row left are
    for the model's post-hook to delete (delete_persons_without_events()). DuckDB only: the
    models using it are incremental only there (incremental_materialization()). -#}
{% macro changed_persons(source, target, columns, where='true') -%}
    {%- set fingerprint -%}
        count(*) as row_count,
        bit_xor(hash({{ columns | join(', ') }})) as row_hashes
    {%- endset -%}
    select source_persons.one_id
    from (
        select one_id, {{ fingerprint }} from {{ source }} where {{ where }} group by one_id
    ) as source_persons
    left join (
        select one_id, {{ fingerprint }} from {{ target }} group by one_id
    ) as target_persons
        on source_persons.one_id = target_persons.one_id
    where
        target_persons.one_id is null
        or source_persons.row_count != target_persons.row_count
        or source_persons.row_hashes != target_persons.row_hashes
{%- endmacro %}


{#- Post-hook of the per-person incremental models fed by int_events_resolved_to_persons: on an
    incremental run, deletes the persons that have no event before the end of the as-of day any
    more (merged into another person, erased, or their events moved away); delete+insert on
    one_id only replaces the persons a run selects. Nothing on a full build. -#}
{% macro delete_persons_without_events() -%}
    {%- if is_incremental() %}
    delete from {{ this }}
    where one_id not in (
        select resolved.one_id
        from {{ ref('int_events_resolved_to_persons') }} as resolved
        where resolved.one_id is not null and resolved.event_at < {{ as_of_end() }}
    )
    {%- endif %}
{%- endmacro %}
