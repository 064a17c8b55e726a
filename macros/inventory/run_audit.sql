{#- Run history for the data-asset inventory, written by the project itself (dbt_artifacts' pattern;
    the package cannot be installed here). `create_run_audit_tables` (on-run-start) makes sure the
    tables exist before any model reads them; `record_run_results` (on-run-end) lands one row per
    executed node, with the row count of every relation it built, and, after a build or run, one
    row per asset with its three scores (`fct_data_asset_scores`). -#}

{#- (Spark has no database: target.database is undefined there.) -#}
{% macro audit_relation(identifier) -%}
    {{ return(api.Relation.create(database=target.get('database'), schema='audit', identifier=identifier)) }}
{%- endmacro %}


{#- (name, type) of each audit table, written once for the create and the insert. -#}
{% macro audit_table_columns() -%}
    {{ return({
        'dbt_run_starts': [
            ('invocation_id', 'string'), ('command', 'string'), ('run_started_at', 'timestamp')],
        'dbt_invocations': [
            ('invocation_id', 'string'), ('command', 'string'), ('target_name', 'string'),
            ('dbt_version', 'string'), ('run_started_at', 'timestamp'), ('run_completed_at', 'timestamp'),
            ('node_count', 'integer'), ('error_count', 'integer')],
        'dbt_node_results': [
            ('invocation_id', 'string'), ('unique_id', 'string'), ('resource_type', 'string'),
            ('tested_node_id', 'string'), ('status', 'string'), ('failures', 'bigint'),
            ('execution_seconds', 'double'), ('completed_at', 'timestamp'), ('row_count', 'bigint'),
            ('column_count', 'integer'), ('person_count', 'bigint'), ('gmv', 'double'),
            ('message', 'string')],
        'data_asset_scores': [
            ('invocation_id', 'string'), ('scored_at', 'timestamp')] + data_asset_score_columns(),
    }) }}
{%- endmacro %}


{#- The columns of `int_data_asset_scores` that each run keeps in the score history. -#}
{% macro data_asset_score_columns() -%}
    {{ return([
        ('unique_id', 'string'), ('asset_name', 'string'), ('resource_type', 'string'),
        ('layer', 'string'), ('domain', 'string'), ('owner', 'string'), ('declared_tier', 'integer'),
        ('degree_component', 'double'), ('reach_component', 'double'), ('exposure_component', 'double'),
        ('freshness_component', 'double'), ('build_component', 'double'), ('test_component', 'double'),
        ('loop_component', 'double'), ('person_component', 'double'), ('gmv_component', 'double'),
        ('exposures_fed_component', 'double'), ('connectivity_score', 'double'), ('flow_score', 'double'),
        ('contribution_score', 'double'), ('value_score', 'double'), ('value_tier', 'string')]) }}
{%- endmacro %}


{#- on-run-start hook. DuckDB: returns the statements (the hook runs and commits them; statements
    run while rendering a hook are rolled back on DuckDB). Spark: runs them one per call (it takes
    one statement at a time and commits each) and returns nothing. -#}
{% macro create_run_audit_tables() -%}
    {%- if execute -%}
        {{ return(adapter.dispatch('create_run_audit_tables', 'user_asset_warehouse')()) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__create_run_audit_tables() -%}
    create schema if not exists {{ audit_relation(none).include(identifier=false) }};
    {%- for table, columns in audit_table_columns().items() %}
    create table if not exists {{ audit_relation(table) }} (
        {%- for name, type in columns %}
        {{ name }} {{ type }}{{ ',' if not loop.last }}
        {%- endfor %}
    ){{ ';' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}

{% macro spark__create_run_audit_tables() -%}
    {#- (Checked first: the Hive metastore logs an error for an existing one, even with `if not exists`.) -#}
    {%- if not adapter.check_schema_exists(none, 'audit') -%}
        {%- do run_query('create schema if not exists ' ~ audit_relation(none).include(identifier=false)) -%}
    {%- endif -%}
    {%- for table, columns in audit_table_columns().items() -%}
        {%- set column_list = [] -%}
        {%- for name, type in columns %}{% do column_list.append(name ~ ' ' ~ type) %}{% endfor -%}
        {%- do run_query('create table if not exists ' ~ audit_relation(table)
            ~ ' (' ~ column_list | join(', ') ~ ') using parquet') -%}
    {%- endfor -%}
{%- endmacro %}


{#- on-run-start hook: one row in audit.dbt_run_starts per invocation that can change tables. A
    start without its dbt_invocations row (written at the end) is a run that did not finish (killed,
    out of memory): `make publish` refuses its partly rebuilt marts (orchestration/serving.py). -#}
{% macro record_run_start() -%}
    {%- if execute and flags.WHICH in ['build', 'run', 'test', 'seed', 'snapshot'] -%}
        {%- set sql = 'insert into ' ~ audit_relation('dbt_run_starts') ~ '\n'
            ~ inline_table(audit_table_columns()['dbt_run_starts'], [[
                invocation_id, flags.WHICH, run_started_at.strftime('%Y-%m-%d %H:%M:%S.%f')]]) -%}
        {%- if target.type == 'spark' -%}
            {%- do run_query(sql) -%}
        {%- else -%}
            {{ return(sql) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#- The row count of a relation a node built, and, when it has the inventory's person and GMV
    columns, its distinct persons and total GMV. -#}
{% macro relation_measures(node) -%}
    {%- set relation = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) -%}
    {%- if relation is none -%}{{ return(none) }}{%- endif -%}
    {%- set names = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
    {%- set person_column = var('inventory_person_column') -%}
    {%- set gmv_column = var('inventory_gmv_column') -%}
    {%- set measures = run_query(
        'select count(*), '
        ~ ('count(distinct ' ~ person_column ~ ')' if person_column in names else 'null') ~ ', '
        ~ ('sum(' ~ gmv_column ~ ')' if gmv_column in names else 'null')
        ~ ' from ' ~ relation
    ).rows[0] -%}
    {{ return({'rows': measures[0], 'columns': names | length, 'persons': measures[1], 'gmv': measures[2]}) }}
{%- endmacro %}


{% macro record_run_results(results) -%}
    {%- if execute and flags.WHICH in ['build', 'run', 'test', 'seed', 'snapshot'] -%}
        {%- set rows = [] -%}
        {%- set errors = [] -%}
        {%- for result in results -%}
            {%- set node = result.node -%}
            {%- set status = result.status | string -%}
            {%- set measures = none -%}
            {%- if node.resource_type in ['model', 'seed', 'snapshot'] and status == 'success' -%}
                {%- set measures = relation_measures(node) -%}
            {%- endif -%}
            {%- if status in ['error', 'fail', 'runtime error'] %}{% do errors.append(node.unique_id) %}{% endif -%}
            {%- set tested = none -%}
            {%- if node.resource_type in ['test', 'unit_test'] -%}
                {%- set tested = node.attached_node if node.attached_node is defined and node.attached_node else (node.depends_on.nodes | last) -%}
            {%- endif -%}
            {%- set completed = (result.timing | map(attribute='completed_at') | select | list | last) if result.timing else none -%}
            {%- do rows.append([
                invocation_id, node.unique_id, node.resource_type, tested, status, result.failures,
                result.execution_time, completed.strftime('%Y-%m-%d %H:%M:%S.%f') if completed else none,
                measures.rows if measures else none, measures.columns if measures else none,
                measures.persons if measures else none, measures.gmv if measures else none,
                redact_audit_message_text(result.message)]) -%}
        {%- endfor -%}
        {%- set columns = audit_table_columns() -%}
        {%- set statements = [] -%}
        {%- if rows -%}
            {%- do statements.append('insert into ' ~ audit_relation('dbt_node_results') ~ '\n'
                ~ inline_table(columns['dbt_node_results'], rows)) -%}
        {%- endif -%}
        {%- do statements.append('insert into ' ~ audit_relation('dbt_invocations') ~ '\n'
            ~ inline_table(columns['dbt_invocations'], [[
                invocation_id, flags.WHICH, target.name, dbt_version, run_started_at.strftime('%Y-%m-%d %H:%M:%S.%f'),
                modules.datetime.datetime.now(modules.pytz.utc).strftime('%Y-%m-%d %H:%M:%S.%f'), rows | length, errors | length]])) -%}
        {#- Older rows, and rows naming an identifier whose erasure arrived in this run. -#}
        {%- do statements.extend(audit_redaction_statements()) -%}
        {%- if flags.WHICH in ['build', 'run'] -%}
            {%- set scores_sql = snapshot_data_asset_scores() -%}
            {%- if scores_sql %}{% do statements.append(scores_sql) %}{% endif -%}
        {%- endif -%}
        {%- do adapter.dispatch('run_audit_statements', 'user_asset_warehouse')(statements) -%}
    {%- endif -%}
{%- endmacro %}


{#- DuckDB: the measuring queries above opened a transaction on the hook's connection, which dbt
    rolls back when it closes it: run the inserts in it and commit. Spark: one statement per call. -#}
{% macro default__run_audit_statements(statements) -%}
    {%- call statement('record_run_results') -%}{{ statements | join(';\n') }}{%- endcall -%}
    {%- do adapter.commit() -%}
{%- endmacro %}

{% macro spark__run_audit_statements(statements) -%}
    {%- for sql in statements -%}
        {%- do run_query(sql) -%}
    {%- endfor -%}
{%- endmacro %}


{#- Append the current scores to the history, once per build (skipped when the scores view was
    not built, e.g. a `--select` that left the inventory out on a fresh database). -#}
{% macro snapshot_data_asset_scores() -%}
    {%- set node = graph.nodes.get('model.' ~ project_name ~ '.int_data_asset_scores') -%}
    {%- if node is none -%}{{ return('') }}{%- endif -%}
    {%- set scores = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) -%}
    {%- if scores is none -%}{{ return('') }}{%- endif -%}
    {%- set names = data_asset_score_columns() | map(attribute=0) | list -%}
        insert into {{ audit_relation('data_asset_scores') }}
        select
            '{{ invocation_id }}' as invocation_id,
            cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp) as scored_at,
            {{ names | join(', ') }}
        from {{ scores }}
{%- endmacro %}
