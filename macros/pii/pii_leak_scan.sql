{#- The query behind the singular test assert_no_raw_pii_outside_pii_assets: one row per string
    column, in any schema of the warehouse (staging, intermediate, marts, reference, snapshots,
    audit, ...), that holds a phone number or an e-mail address (looks_like_pii), with the number
    of such rows: `column_path` (schema.table.column) and `row_count`, never a value. Tables of
    assets declared `sensitivity: pii` (the base_* and *_rejects models, the test-number
    blocklist) and columns declared so (`meta: {sensitivity: pii}` on the column) are left out.
    Each table is read once, with one regex per value (looks_like_pii).

    On an incremental run, a table that is an incremental model with a run scope written by this
    invocation (macros/tests/run_scope.sql) is read only through tested_rows_condition(): the rows
    this run wrote (the other rows were scanned by the run that wrote them), and only when
    pii_scan_may_scope() says every earlier write was scanned by a scan that passed
    (macros/tests/pii_scan_state.sql: not after a run killed before its scan, run without it, or
    whose scan failed). Every other table is read whole: tables rebuilt whole, snapshots, seeds,
    audit tables, models not run in this invocation, and every table on `dbt test` alone,
    --full-refresh, a first build, var full_tests, after an unscanned or failed run, and on
    Spark. -#}
{% macro pii_leak_scan() -%}
    {%- set tables = {} -%}
    {%- set scopes = {} -%}
    {%- set held_back = [] -%}
    {%- if execute -%}
        {%- set excluded = pii_declared_relations() -%}
        {%- set models = pii_scan_models() -%}
        {%- for schema, table, column in pii_scan_string_columns() -%}
            {%- set table_key = (schema ~ '.' ~ table) | lower -%}
            {#- (The test's own stored failures, replaced while it runs, hold paths and counts.) -#}
            {%- if table_key not in excluded.tables and (table_key ~ '.' ~ column) | lower not in excluded.columns
                and (table | lower) != (model.name | lower) -%}
                {%- do tables.setdefault((schema, table), []).append(column) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set may_scope = pii_scan_may_scope() -%}
        {%- for schema, table in tables if models.get((schema ~ '.' ~ table) | lower) -%}
            {%- set condition = tested_rows_condition(models[(schema ~ '.' ~ table) | lower]) -%}
            {%- if condition is not none and may_scope -%}
                {%- do scopes.update({(schema, table): condition}) -%}
            {%- elif condition is not none -%}
                {%- do held_back.append(schema ~ '.' ~ table) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if not tables %}
    select cast(null as {{ dbt.type_string() }}) as column_path, cast(null as {{ dbt.type_bigint() }}) as row_count
    where false
    {%- else %}
    {%- if held_back %}
    -- whole tables: an earlier run wrote rows no passing scan has read (killed, run without this
    -- test, or its scan failed), so the tables this run wrote are read whole too
    -- (macros/tests/pii_scan_state.sql)
    {%- endif %}
    with
    {% for (schema, table), columns in tables | dictsort %}
    scan_{{ loop.index }} as (
        select
            {%- for column in columns %}
            {%- set quoted = adapter.quote(column) %}
            count_if({{ looks_like_pii(quoted) }}) as hits_{{ loop.index }}{{ ',' if not loop.last }}
            {%- endfor %}
        from {{ adapter.quote(schema) }}.{{ adapter.quote(table) }}
        {%- if (schema, table) in scopes %}
        -- run scope: the rows this invocation wrote (macros/tests/run_scope.sql)
        where {{ scopes[(schema, table)] }}
        {%- endif %}
    ){{ ',' if not loop.last }}
    {% endfor %}
    select column_path, row_count from (
        {%- for (schema, table), columns in tables | dictsort %}
        {%- set scan = loop.index %}
        {%- for column in columns %}
        select {{ string_literal(schema ~ '.' ~ table ~ '.' ~ column) }} as column_path, hits_{{ loop.index }} as row_count from scan_{{ scan }}
        {{- '\n        union all' if not loop.last }}
        {%- endfor %}
        {{- '\n        union all' if not loop.last }}
        {%- endfor %}
    ) as counted
    where row_count > 0
    {%- endif %}
{%- endmacro %}


{#- The model node of each table, by schema.table (lower case): how a table of the warehouse is
    mapped to the model that writes it. -#}
{% macro pii_scan_models() -%}
    {%- set models = {} -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' -%}
        {%- do models.update({(node.schema ~ '.' ~ (node.alias or node.name)) | lower: node}) -%}
    {%- endfor -%}
    {{ return(models) }}
{%- endmacro %}


{#- schema.table (lower case) of every model, seed and snapshot declared `sensitivity: pii`, and
    schema.table.column of every column declared so. -#}
{% macro pii_declared_relations() -%}
    {%- set tables = [] -%}
    {%- set columns = [] -%}
    {%- for node in graph.nodes.values() if node.resource_type in ['model', 'seed', 'snapshot'] -%}
        {%- set table_key = (node.schema ~ '.' ~ (node.alias or node.name)) | lower -%}
        {%- if (node.config.meta or {}).get('sensitivity') == 'pii' -%}
            {%- do tables.append(table_key) -%}
        {%- endif -%}
        {%- for column in (node.columns or {}).values() -%}
            {%- if ((column.config or {}).get('meta') or column.meta or {}).get('sensitivity') == 'pii' -%}
                {%- do columns.append((table_key ~ '.' ~ column.name) | lower) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return({'tables': tables, 'columns': columns}) }}
{%- endmacro %}


{#- (schema, table, column) of every string column of every table in the warehouse. DuckDB: base
    tables only (each view reads tables scanned here). -#}
{% macro pii_scan_string_columns() -%}
    {{ return(adapter.dispatch('pii_scan_string_columns', 'user_asset_warehouse')()) }}
{%- endmacro %}

{% macro default__pii_scan_string_columns() -%}
    {%- set rows = run_query(
        "select columns.table_schema, columns.table_name, columns.column_name"
        ~ " from information_schema.columns as columns"
        ~ " inner join information_schema.tables as tables"
        ~ " on columns.table_catalog = tables.table_catalog and columns.table_schema = tables.table_schema"
        ~ " and columns.table_name = tables.table_name"
        ~ " where tables.table_type = 'BASE TABLE' and columns.data_type = 'VARCHAR'"
        ~ " and columns.table_catalog = current_database()"
        ~ " and columns.table_schema not in ('information_schema', 'pg_catalog')"
        ~ " order by 1, 2, columns.ordinal_position"
    ) -%}
    {{ return(rows.rows | map('list') | list) }}
{%- endmacro %}

{#- Spark has no information_schema: every table of every database, through the metastore. -#}
{% macro spark__pii_scan_string_columns() -%}
    {%- set found = [] -%}
    {%- for schema_row in run_query('show schemas').rows -%}
        {%- set schema = schema_row[0] -%}
        {%- for table_row in run_query('show tables in ' ~ schema).rows if not table_row[2] -%}
            {%- set relation = api.Relation.create(schema=schema, identifier=table_row[1]) -%}
            {%- for column in adapter.get_columns_in_relation(relation) if column.is_string() -%}
                {%- do found.append([schema, table_row[1], column.name]) -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(found) }}
{%- endmacro %}
