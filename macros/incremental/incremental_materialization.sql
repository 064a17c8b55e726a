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


{#- The config of the models incremental by partition: a run writes exactly the whole partitions
    of `partition_column` from its cutoff on (incremental_partition_cutoff()), each recomputed
    completely, and leaves the older ones as they are. DuckDB: delete+insert on the column.
    Spark: dbt-spark's insert_overwrite on a parquet table partitioned by the column; dbt-spark
    sets spark.sql.sources.partitionOverwriteMode=DYNAMIC for it, so only the partitions the run
    writes are replaced (a partition the run writes no row to is kept, as delete+insert keeps it).
    Every such model logs the partitions each run rewrites, for the models reading it
    (record_partition_writes(), macros/incremental/partition_writes.sql).
    Use it in the config: `config(on_schema_change='fail', **partition_incremental_config())`. -#}
{% macro partition_incremental_config(partition_column='partition_date') -%}
    {%- set config = adapter.dispatch('partition_incremental_config', 'user_asset_warehouse')(partition_column) -%}
    {%- do config.update({'pre_hook': ["{{ record_partition_writes('" ~ partition_column ~ "') }}"]}) -%}
    {{ return(config) }}
{%- endmacro %}

{% macro default__partition_incremental_config(partition_column) -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': partition_column,
    }) }}
{%- endmacro %}

{% macro spark__partition_incremental_config(partition_column) -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'insert_overwrite',
        'partition_by': [partition_column],
        'file_format': 'parquet',
    }) }}
{%- endmacro %}
