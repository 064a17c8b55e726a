{#- True when a macro may run queries while rendering: during execution, and not under the
    sqlfluff lint target (an empty in-memory database). -#}
{% macro can_query_warehouse() -%}
    {{ return(execute and target.name != 'lint') }}
{%- endmacro %}


{#- True while dbt builds (run, build, run-operation), as opposed to compiling for docs, show or
    lint: work with side effects (iterating scratch tables, stopping on missing raw files)
    happens only then. -#}
{% macro is_building() -%}
    {{ return(can_query_warehouse() and flags.WHICH in ['run', 'build', 'run-operation']) }}
{%- endmacro %}
