{#- Where the raw-lines reconciliation starts reading for an incremental lines model: the first
    partition this dbt invocation wrote, less `incremental_lookback_days`, when the invocation
    wrote some of the model's partitions and not all; none otherwise (read every file). The
    look-back margin covers a run whose oldest partitions lost all their lines: their rows from an
    earlier run stay (delete+insert replaces only the partitions it writes), so the first
    partition written can lie above the run's cutoff. Used by assert_raw_lines_reconcile. -#}
{% macro reconcile_from_partition(lines) -%}
    {%- if not can_query_warehouse() or load_relation(lines) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set written -%}
        select
            min(partition_date) filter (where dbt_invocation_id = '{{ invocation_id }}'),
            bool_and(dbt_invocation_id = '{{ invocation_id }}')
        from {{ lines }}
    {%- endset -%}
    {%- set row = run_query(written).rows[0] -%}
    {%- if row[0] is none or row[1] -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set margin = modules.datetime.timedelta(days=var('incremental_lookback_days') | int) -%}
    {{ return((row[0] - margin).isoformat()) }}
{%- endmacro %}
