{#- True when a macro may run queries while rendering: during execution, and not under the
    sqlfluff lint target (an empty in-memory database). -#}
{% macro can_query_warehouse() -%}
    {{ return(execute and target.name != 'lint') }}
{%- endmacro %}
