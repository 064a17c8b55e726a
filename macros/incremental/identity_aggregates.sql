{#- Incremental identity aggregates (docs/identity.md, "Incremental runs").

    int_identity_node_history (one row per identifier) and int_identity_edges_unioned (one row per
    pair) are full-build SQL over int_identity_record_identifiers, filtered by the macros below.
    On an incremental run they recompute, from every record of history, only the identifiers the
    run's new records reach, and keep every other row:

    * int_identity_touched_keys lists the identifiers to recompute. Event records: those with a
      record in a partition stg_tracking__event_identifiers rewrote since the history was built,
      as its write log says (macros/incremental/partition_writes.sql), and the held identifiers
      with a record there (it may have been removed); every identifier when the staged identifiers
      were rebuilt whole since. Orders and CRM changes (small tables rebuilt every run): the
      identifiers whose records differ from those the history aggregated (count and the sum of a
      hash of each record: record, time, partition, type, value), wherever the change is.
    * int_identity_node_history deletes (pre-hook) and re-aggregates those identifiers. Its rows
      carry `refreshed_at`, the time of the run that wrote them.
    * int_identity_edges_unioned recomputes the pairs with an end refreshed in the history since
      its own newest row (so a run killed between the two catches up), from every record holding
      such an end, and deletes the pairs with an end no longer in the history.

    A pair changes only when a record holding both ends changes, which changes both ends' records,
    so both ends are recomputed. When the model that tells a model what to recompute is not
    selected in the same invocation, the model is rebuilt whole. Full builds, --full-refresh and
    Spark (no incremental models there) read everything. -#}


{#- Node id of an identifier: its key's first 60 bits (keys are hex SHA-256), so the same key has
    the same id whatever other keys exist and ids need no renumbering when keys are added. Two
    keys sharing an id (about one chance in 80,000 with 5 million keys) fail the unique test on
    int_identity_nodes.node_id rather than merge silently. -#}
{% macro identity_node_id(identifier_key) -%}
    {{ return(adapter.dispatch('identity_node_id', 'user_asset_warehouse')(identifier_key)) }}
{%- endmacro %}

{% macro default__identity_node_id(identifier_key) -%}
    cast('0x' || left({{ identifier_key }}, 15) as bigint)
{%- endmacro %}

{% macro spark__identity_node_id(identifier_key) -%}
    cast(conv(substr({{ identifier_key }}, 1, 15), 16, 10) as bigint)
{%- endmacro %}


{#- Aggregate: the sum of a hash of each record row of int_identity_record_identifiers (an
    identifier's order_crm_fingerprint in int_identity_node_history, over its order and CRM
    records). Sums add up across records, so it does not depend on their order. -#}
{% macro identity_records_fingerprint() -%}
    {{ return(adapter.dispatch('identity_records_fingerprint', 'user_asset_warehouse')()) }}
{%- endmacro %}

{% macro default__identity_records_fingerprint() -%}
    sum(hash(identifier_key, record_source, record_id, seen_at, partition_date, identifier_type, identifier_value))
{%- endmacro %}

{% macro spark__identity_records_fingerprint() -%}
    sum(cast(xxhash64(
        identifier_key, record_source, record_id, seen_at, partition_date, identifier_type, identifier_value
    ) as decimal(38, 0)))
{%- endmacro %}


{#- Whether `model_name` runs in this invocation (so what it wrote is current). -#}
{% macro identity_model_selected(model_name) -%}
    {{ return(('model.' ~ project_name ~ '.' ~ model_name) in selected_resources) }}
{%- endmacro %}


{#- Which rows an incremental run of the current identity model recomputes: `touched` (only
    those reached by new records) or `all` (a full build, or the model telling what to
    recompute, `driver`, did not run in this invocation: the run rebuilds the model whole). -#}
{% macro identity_recompute_scope(driver) -%}
    {%- if not is_incremental() or not identity_model_selected(driver) -%}
        {{ return('all') }}
    {%- endif -%}
    {{ return('touched') }}
{%- endmacro %}


{#- `where` condition of int_identity_node_history over record identifiers (`column`: their key). -#}
{% macro identity_keys_to_recompute(column) -%}
    {%- set touched = ref('int_identity_touched_keys') -%}
    {%- if identity_recompute_scope('int_identity_touched_keys') == 'all' -%}
        true
    {%- else -%}
        {{ column }} in (select identity_touched_keys.identifier_key from {{ touched }} as identity_touched_keys)
    {%- endif -%}
{%- endmacro %}


{#- Pre-hook of int_identity_node_history: deletes the identifiers the run recomputes (all of
    them when it rebuilds whole). Nothing on a full build. -#}
{% macro delete_identity_keys_to_recompute() -%}
    {%- if is_incremental() %}
    delete from {{ this }}
    where {{ identity_keys_to_recompute('identifier_key') }}
    {%- endif %}
{%- endmacro %}


{#- The newest refreshed_at a table holds (the start of the last run that wrote it), as a SQL
    timestamp literal, or none when it is empty. -#}
{% macro newest_refreshed_at(relation) -%}
    {%- set held = run_query('select cast(max(refreshed_at) as varchar) from ' ~ relation).columns[0].values()[0] -%}
    {{ return("cast('" ~ held ~ "' as timestamp with time zone)" if held else none) }}
{%- endmacro %}


{#- The newest refreshed_at int_identity_edges_unioned holds, as a SQL literal, read once before
    its pre-hook deletes rows (the model's SQL and the hook must agree on it). -#}
{% macro identity_edges_refreshed_until() -%}
    {{ return(newest_refreshed_at(this) or 'null') }}
{%- endmacro %}


{#- The node ids whose pairs int_identity_edges_unioned recomputes: identifiers refreshed in the
    history after the edges' newest row (a subquery). -#}
{% macro identity_refreshed_nodes(refreshed_until) -%}
    (
        select refreshed.node_id
        from {{ ref('int_identity_node_history') }} as refreshed
        where refreshed.refreshed_at > {{ refreshed_until }} or {{ refreshed_until }} is null
    )
{%- endmacro %}


{#- `where` condition of int_identity_edges_unioned over record identifiers: the records holding
    an identifier whose pairs are recomputed. -#}
{% macro identity_records_to_recompute() -%}
    {%- set history = ref('int_identity_node_history') -%}
    {%- if identity_recompute_scope('int_identity_node_history') == 'all' or not execute -%}
        true
    {%- else -%}
        (record_source, record_id) in (
            select identity_touched_keys.record_source, identity_touched_keys.record_id
            from {{ ref('int_identity_record_identifiers') }} as identity_touched_keys
            where {{ identity_node_id('identity_touched_keys.identifier_key') }} in
                {{ identity_refreshed_nodes(identity_edges_refreshed_until()) }}
        )
    {%- endif -%}
{%- endmacro %}


{#- `where` condition of int_identity_edges_unioned over pairs: those with an end recomputed. -#}
{% macro identity_pairs_to_recompute(node_a, node_b) -%}
    {%- if identity_recompute_scope('int_identity_node_history') == 'all' or not execute -%}
        true
    {%- else -%}
        {%- set refreshed = identity_refreshed_nodes(identity_edges_refreshed_until()) -%}
        ({{ node_a }} in {{ refreshed }} or {{ node_b }} in {{ refreshed }})
    {%- endif -%}
{%- endmacro %}


{#- Pre-hook of int_identity_edges_unioned: deletes the pairs the run recomputes and those with an
    end no longer in the history (every pair when it rebuilds whole). Nothing on a full build. -#}
{% macro delete_identity_pairs_to_recompute() -%}
    {%- if is_incremental() %}
    delete from {{ this }}
    where
        {{ identity_pairs_to_recompute('node_a', 'node_b') }}
        or node_a not in (select held.node_id from {{ ref('int_identity_node_history') }} as held)
        or node_b not in (select held.node_id from {{ ref('int_identity_node_history') }} as held)
    {%- endif %}
{%- endmacro %}


{#- The int_identity_node_history table int_identity_touched_keys plans for (none on a first
    build, --full-refresh or Spark: the history is then built whole). Not a ref: the history is
    built after the plan. -#}
{% macro identity_held_history() -%}
    {%- if not execute or flags.FULL_REFRESH or incremental_materialization() != 'incremental' -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.get_relation(this.database, this.schema, 'int_identity_node_history')) }}
{%- endmacro %}


{#- What int_identity_touched_keys lists, from the event records: 'none' (no history held: the
    model is empty), 'all' (every identifier: the staged identifiers were rebuilt whole, or keep
    no write log, since the history was built), 'unchanged' (no event partition rewritten since),
    or the first event partition rewritten since (ISO date). "Since" is the history's watermark,
    the start of the last run that wrote it (its newest refreshed_at): what a killed or skipped
    run left is caught up. -#}
{% macro identity_touch_plan(history) -%}
    {%- if history is none -%}
        {{ return('none') }}
    {%- endif -%}
    {%- set held_until = newest_refreshed_at(history) -%}
    {%- if held_until is none -%}
        {{ return('all') }}
    {%- endif -%}
    {%- set written = partitions_written_since('stg_tracking__event_identifiers', held_until) -%}
    {%- if written is none -%}
        {{ return('unchanged') }}
    {%- elif written == 'all' -%}
        {{ log('int_identity_touched_keys: stg_tracking__event_identifiers was rebuilt whole (or keeps no write log) since the identity history was built; every identifier is recomputed (a full rebuild of int_identity_node_history and int_identity_edges_unioned)', info=true) }}
    {%- endif -%}
    {{ return(written) }}
{%- endmacro %}


{#- `where` condition of int_identity_touched_keys over record identifiers, for a plan of
    identity_touch_plan(): the event records of the partitions rewritten since the history was
    built (every record for 'all'). -#}
{% macro identity_touched_condition(plan) -%}
    {%- if plan in ['none', 'unchanged'] -%}
        false
    {%- elif plan == 'all' -%}
        true
    {%- else -%}
        record_source = 'event' and partition_date >= cast('{{ plan }}' as date)
    {%- endif -%}
{%- endmacro %}


{#- The identifiers the history holds that a plan recomputes (query of identifier_key): every one
    for 'all' (those with no record left are then deleted), else those with a record in a
    rewritten partition, whose records may have been removed there. -#}
{% macro identity_held_keys_to_recompute(history, plan) -%}
    {%- if history is none or plan in ['none', 'unchanged'] -%}
        select identifier_key from touched where false
    {%- elif plan == 'all' -%}
        select identifier_key from {{ history }}
    {%- else -%}
        select identifier_key from {{ history }}
        where last_partition_date >= cast('{{ plan }}' as date)
    {%- endif -%}
{%- endmacro %}


{#- The identifiers whose order and CRM records differ from those the history aggregated (query
    of identifier_key): orders and CRM changes are small tables rebuilt every run, so they are
    compared identifier by identifier (record count and the sum of a hash of each record row),
    which catches any change, also in an old partition. None without a history. -#}
{% macro identity_order_crm_keys_changed(history) -%}
    {%- if history is none -%}
        select identifier_key from touched where false
    {%- else -%}
        select coalesce(current_records.identifier_key, held_records.identifier_key) as identifier_key
        from (
            select identifier_key, count(*) as records, {{ identity_records_fingerprint() }} as fingerprint
            from record_identifiers
            where record_source != 'event'
            group by identifier_key
        ) as current_records
        full outer join (
            select identifier_key, order_crm_record_count as records, order_crm_fingerprint as fingerprint
            from {{ history }}
            where order_crm_record_count > 0
        ) as held_records
            on current_records.identifier_key = held_records.identifier_key
        where
            current_records.records is distinct from held_records.records
            or current_records.fingerprint is distinct from held_records.fingerprint
    {%- endif -%}
{%- endmacro %}
