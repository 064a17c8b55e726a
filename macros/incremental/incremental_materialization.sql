{#- The materialization of the incremental models that replace arbitrary keys (events re-resolved
    to other persons, persons rebuilt): `incremental` (delete+insert) where the engine can delete
    rows, `table` (a full rebuild every run) on Spark, whose parquet tables cannot (no Delta).
    `is_incremental()` is then false there, so the cutoffs and the DELETE hooks do nothing. Use it
    in the config: `materialized=incremental_materialization()`. The models whose run rewrites
    whole date partitions use partition_incremental_config() instead. -#}
{% macro incremental_materialization() -%}
    {{ return(adapter.dispatch('incremental_materialization', 'user_asset_warehouse')()) }}
{%- endmacro %}

{% macro default__incremental_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__incremental_materialization() -%}
    {{ return('table') }}
{%- endmacro %}


{#- The config of the models incremental by partition: a run writes the partitions of
    `partition_column` from its cutoff on (incremental_partition_cutoff()) and leaves the older
    ones as they are. Every such model logs the partitions each run rewrites, for the models
    reading it (record_partition_writes(), macros/incremental/partition_writes.sql), and is marked
    in meta.partition_column, so the partition models reading it follow what it rewrote
    (partition_inputs()).

    `rewrites_from_cutoff` (the default): the model's select recomputes every partition from the
    cutoff completely, so a pre-hook first deletes them all (delete_partitions_from_cutoff()); a
    partition that has lost all its rows (its raw file removed, every line now a duplicate)
    goes, as it would in a full build. False for a model that writes only some of those
    partitions (fct_user_asset_coverage writes the run's as-of date and keeps the trend).
    DuckDB: delete+insert on the column.
    Spark: dbt-spark's insert_overwrite on a parquet table partitioned by the column; dbt-spark
    sets spark.sql.sources.partitionOverwriteMode=DYNAMIC for it, so only the partitions the run
    writes are replaced: a partition the run writes no row to is kept there (parquet tables
    cannot delete; docs/spark.md).
    Use it in the config: `config(on_schema_change='fail', **partition_incremental_config())`. -#}
{% macro partition_incremental_config(partition_column='partition_date', rewrites_from_cutoff=true) -%}
    {%- set config = adapter.dispatch('partition_incremental_config', 'user_asset_warehouse')(partition_column) -%}
    {%- set can_delete = config.pop('can_delete') -%}
    {%- set hooks = ["{{ record_partition_writes('" ~ partition_column ~ "') }}"] -%}
    {%- if rewrites_from_cutoff and can_delete -%}
        {%- do hooks.append("{{ delete_partitions_from_cutoff('" ~ partition_column ~ "') }}") -%}
    {%- endif -%}
    {%- do config.update({'pre_hook': hooks, 'meta': {'partition_column': partition_column}}) -%}
    {{ return(config) }}
{%- endmacro %}

{% macro default__partition_incremental_config(partition_column) -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': partition_column,
        'can_delete': true,
    }) }}
{%- endmacro %}

{% macro spark__partition_incremental_config(partition_column) -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'insert_overwrite',
        'partition_by': [partition_column],
        'file_format': 'parquet',
        'can_delete': false,
    }) }}
{%- endmacro %}
