{#- The inventory's models that read the run history (the `audit` tables) are views on DuckDB, so
    that they show the latest run, whose results the on-run-end hook lands after the models are
    built. On Spark a view is planned again by every reader and test, and this stack of views
    (profile, scores, run health) takes minutes per test there, so it is built as tables: they
    show the run history as it was when the build reached them. -#}
{% macro run_history_materialization() -%}
    {{ return(adapter.dispatch('run_history_materialization', 'user_asset_warehouse')()) }}
{%- endmacro %}

{% macro default__run_history_materialization() -%}
    {{ return('view') }}
{%- endmacro %}

{% macro spark__run_history_materialization() -%}
    {{ return('table') }}
{%- endmacro %}
