{#- The first partition of an incremental lines model written by this dbt invocation, when the
    invocation wrote some of its partitions and not all; none otherwise (reconcile every file).
    Used by tests/singular/assert_raw_lines_reconcile.sql. -#}
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
    {{ return(row[0].isoformat()) }}
{%- endmacro %}
