{#- Incremental identity aggregates (docs/identity.md, "Incremental runs").

    int_identity_node_history (one row per identifier) and int_identity_edges_unioned (one row per
    pair) are full-build SQL over int_identity_record_identifiers, filtered by the macros below.
    On an incremental run they recompute, from every record of history, only the identifiers the
    run's new records reach, and keep every other row:

    * int_identity_touched_keys lists the identifiers to recompute: those with a record in a
      partition from the history's newest partition minus `incremental_lookback_days` (the
      partitions the lines models may have rewritten since). It first checks that every other
      identifier's records are unchanged: the sum of a hash of each of their records (record,
      time, partition, type, value) equals the sum of the fingerprints the history holds for
      them. When it differs (a record removed or changed outside the window, a late file in an
      older folder, an upgrade that changes hash()), every identifier is recomputed: a full
      rebuild, never a stale row.
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


{#- Aggregate: the sum of a hash of each record row of int_identity_record_identifiers (the
    identifier's fingerprint in int_identity_node_history). Sums add up across identifiers, so the
    fingerprint of many identifiers is the sum of theirs. -#}
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


{#- The newest refreshed_at int_identity_edges_unioned holds, as a SQL literal, read once before
    its pre-hook deletes rows (the model's SQL and the hook must agree on it). -#}
{% macro identity_edges_refreshed_until() -%}
    {%- set held = run_query('select cast(max(refreshed_at) as varchar) from ' ~ this).columns[0].values()[0] -%}
    {{ return("cast('" ~ held ~ "' as timestamp with time zone)" if held else 'null') }}
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


{#- What int_identity_touched_keys lists: 'none' (no history held), 'all', or the first partition
    whose records' identifiers are recomputed (the history's newest partition minus
    incremental_lookback_days), when the records of every identifier without a record from it on
    are unchanged: same row count and same sum of record hashes as the history holds. -#}
{% macro identity_touch_plan(history) -%}
    {%- if history is none -%}
        {{ return('none') }}
    {%- endif -%}
    {%- set newest = run_query('select max(last_partition_date) from ' ~ history).columns[0].values()[0] -%}
    {%- if newest is none -%}
        {{ return('all') }}
    {%- endif -%}
    {%- set window_start = (newest - modules.datetime.timedelta(days=var('incremental_lookback_days') | int)).isoformat() -%}
    {%- set check -%}
        with
        records as (select * from {{ ref('int_identity_record_identifiers') }}),
        touched as (
            select distinct identifier_key from records
            where partition_date >= cast('{{ window_start }}' as date)
        ),
        held as (
            select count(*) as identifiers, sum(record_count) as records, sum(input_fingerprint) as fingerprint
            from {{ history }}
            where identifier_key not in (select touched.identifier_key from touched)
        ),
        current_records as (
            select count(distinct identifier_key) as identifiers, count(*) as records,
                {{ identity_records_fingerprint() }} as fingerprint
            from records
            where identifier_key not in (select touched.identifier_key from touched)
        )
        select
            held.identifiers = current_records.identifiers
            and coalesce(held.records, 0) = current_records.records
            and coalesce(held.fingerprint, 0) = coalesce(current_records.fingerprint, 0)
        from held cross join current_records
    {%- endset -%}
    {%- if run_query(check).columns[0].values()[0] -%}
        {{ return(window_start) }}
    {%- endif -%}
    {{ log('int_identity_touched_keys: records older than ' ~ window_start ~ ' changed since the identity history was built; its identifiers are all recomputed (a full rebuild of int_identity_node_history and int_identity_edges_unioned)', info=true) }}
    {{ return('all') }}
{%- endmacro %}


{#- `where` condition of int_identity_touched_keys over record identifiers, for a plan of
    identity_touch_plan(). -#}
{% macro identity_touched_condition(recompute) -%}
    {%- if recompute == 'none' -%}
        false
    {%- elif recompute == 'all' -%}
        true
    {%- else -%}
        partition_date >= cast('{{ recompute }}' as date)
    {%- endif -%}
{%- endmacro %}


{#- The identifiers the history holds that a plan recomputes: all of them for 'all' (those with
    no record left are then deleted), none otherwise (query of identifier_key). -#}
{% macro identity_held_keys_to_recompute(history, recompute) -%}
    {%- if recompute == 'all' and history is not none -%}
        select identifier_key from {{ history }}
    {%- else -%}
        select identifier_key from touched where false
    {%- endif -%}
{%- endmacro %}
