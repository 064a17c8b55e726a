{#- Seeds on Spark are read from the CSV file itself, as dbt-duckdb does (COPY), instead of
    dbt-spark's inserts from dbt's parsed rows, which lose two kinds of values: dbt reads the
    text `null` as a null (identifier_placeholders has it as a placeholder), and on
    `method: session` dbt-spark pastes values between quotes unescaped (a quote breaks the insert,
    a backslash disappears: `\s*` loads as `s*`). Overrides dbt-spark's macro (the root project's
    wins); the table is still created by dbt-spark, with the same column types. -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set csv_view = this.identifier ~ '__csv' -%}
    {%- set path = model['root_path'] ~ '/' ~ model['original_file_path'] -%}
    {%- set read_sql -%}
        create or replace temporary view {{ csv_view }} using csv options (
            path {{ string_literal(path) }}, header 'true', escape '"', multiLine 'true',
            encoding 'UTF-8', mode 'FAILFAST'
        )
    {%- endset -%}
    {%- set sql -%}
        insert into {{ this.render() }}
        select
            {%- for col_name in agate_table.column_names %}
            {%- set type = column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) %}
            cast(`{{ col_name }}` as {{ type }}){{ ',' if not loop.last }}
            {%- endfor %}
        from {{ csv_view }}
    {%- endset -%}
    {%- do adapter.add_query(read_sql, abridge_sql_log=True) -%}
    {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
    {%- do adapter.add_query('drop view if exists ' ~ csv_view, abridge_sql_log=True) -%}
    {{ return(sql) }}
{% endmacro %}
