{#- Change tracking by partition (docs/incremental.md, "Change tracking").

    Every model incremental by partition (partition_incremental_config()) appends, in a pre-hook
    of the same transaction as its write, one row to its own log audit.dbt_partition_writes__<model>
    (partition_writes_relation()): the invocation, the first partition the run rewrites
    (`written_from`: the model's cutoff, or null when it rewrites everything: a first build,
    --full-refresh, a rebuild of an empty table) and when (`written_at`, the transaction's start).
    A killed run rolls its row back with its write; a row whose write failed only makes a reader
    recompute more, never less.

    A reader keeps its own watermark, the start of the last run that committed its rows (for
    int_identity_node_history, its newest refreshed_at), and asks partitions_written_since()
    what the model rewrote after it: nothing, every partition, or every partition from a date.
    So a run that was killed, skipped or not selected is caught up by the next, and a model
    rebuilt whole upstream makes its readers rebuild whole. On Spark, where the log cannot be
    kept (run_scoped_tests_supported() is false), nothing is logged and readers are told
    everything changed. -#}


{#- The write log of the model `model_name`; one table per model, so that models running at the
    same time never write the same table. -#}
{% macro partition_writes_relation(model_name) -%}
    {{ return(audit_relation('dbt_partition_writes__' ~ model_name)) }}
{%- endmacro %}


{#- Whether a table of the audit schema exists, read from the catalog (not dbt's cache). -#}
{% macro audit_table_exists(relation) -%}
    {%- set found = run_query(
        "select count(*) from information_schema.tables where table_schema = '" ~ relation.schema ~ "'"
        ~ " and table_name = '" ~ relation.identifier ~ "'"
        ~ (" and table_catalog = '" ~ relation.database ~ "'" if relation.database else '')
    ).columns[0].values()[0] -%}
    {{ return(found > 0) }}
{%- endmacro %}


{#- Pre-hook of the models incremental by partition (added by partition_incremental_config()):
    logs the partitions the run rewrites, computed as the model computes them (the hook runs
    before the model's write, in its transaction). A model that rewrites rows anywhere and reads
    a log itself runs it with `partition_column=none`: its rows say "anything may have changed",
    and their times are its watermark (model_watermark()). The audit schema exists: the
    on-run-start hook create_run_audit_tables() makes it. -#}
{% macro record_partition_writes(partition_column='partition_date') -%}
    {%- if execute and run_scoped_tests_supported() -%}
        {%- set written_from = incremental_partition_cutoff(partition_column) if partition_column else none -%}
        {%- set log = partition_writes_relation(model.name) -%}
    create table if not exists {{ log }} (
        invocation_id {{ dbt.type_string() }},
        written_from date,
        written_at timestamp with time zone
    );
    insert into {{ log }} (invocation_id, written_from, written_at)
    values (
        '{{ invocation_id }}',
        {{ "cast('" ~ written_from ~ "' as date)" if written_from else 'null' }},
        current_timestamp
    )
    {%- endif -%}
{%- endmacro %}


{#- What `model_name` (a model incremental by partition) rewrote in the runs that started after
    `since` (a SQL timestamp expression, or none for "ever"): none (nothing), 'all' (every
    partition, or unknown: no log, Spark), or the first partition rewritten (ISO date text). -#}
{% macro partitions_written_since(model_name, since) -%}
    {%- if not execute or not run_scoped_tests_supported() -%}
        {{ return('all') }}
    {%- endif -%}
    {%- set log = partition_writes_relation(model_name) -%}
    {%- if not audit_table_exists(log) -%}
        {{ return('all') }}
    {%- endif -%}
    {%- set written = run_query(
        "select count(*), count(*) filter (where written_from is null), cast(min(written_from) as varchar)"
        ~ " from " ~ log ~ (" where written_at > " ~ since if since else '')
    ).rows[0] -%}
    {%- if written[0] == 0 -%}
        {{ return(none) }}
    {%- elif written[1] > 0 -%}
        {{ return('all') }}
    {%- endif -%}
    {{ return(written[2]) }}
{%- endmacro %}


{#- The watermark of the current model: the start of its last run that committed, before this
    invocation (a SQL timestamp literal), or none when it keeps no log (a first run, a warehouse
    built before the log existed, Spark). The model logs its runs with
    record_partition_writes(none). -#}
{% macro model_watermark() -%}
    {{ return(log_watermark(partition_writes_relation(model.name))) }}
{%- endmacro %}


{#- The newest written_at of `log` (an audit log with invocation_id and written_at) among the
    rows meeting `condition` and written before this invocation, as a SQL timestamp literal; none
    without such a row or log, and on Spark. The one rule behind model_watermark() and
    person_log_watermark(). -#}
{% macro log_watermark(log, condition='true') -%}
    {%- if not execute or not run_scoped_tests_supported() or not audit_table_exists(log) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set held = run_query(
        "select cast(max(written_at) as varchar) from " ~ log
        ~ " where " ~ condition ~ " and invocation_id != '" ~ invocation_id ~ "'").columns[0].values()[0] -%}
    {{ return("cast('" ~ held ~ "' as timestamp with time zone)" if held else none) }}
{%- endmacro %}
