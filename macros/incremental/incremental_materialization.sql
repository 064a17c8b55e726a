{#- The materialization of the incremental models: `incremental` (delete+insert) where the engine
    can delete rows, `table` (a full rebuild every run) on Spark, whose parquet tables cannot
    (no Delta). `is_incremental()` is then false there, so the partition cutoff and the DELETE
    post-hook do nothing. Use it in the config: `materialized=incremental_materialization()`. -#}
{% macro incremental_materialization() -%}
    {{ return(adapter.dispatch('incremental_materialization', 'user_asset_warehouse')()) }}
{%- endmacro %}

{% macro default__incremental_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__incremental_materialization() -%}
    {{ return('table') }}
{%- endmacro %}
