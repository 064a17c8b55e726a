{#- Data tests scoped to what a run wrote (docs/incremental.md, "Tests on incremental runs").

    An incremental model declares in its yml how the rows a run wrote are found, `meta.run_scope`:
      dbt_invocation_id  the rows carrying this invocation's id (the model writes the column);
      <a partition column, e.g. partition_date>  the partitions from the run's cutoff
                         (incremental_partition_cutoff() of that column) on;
      person_periods     (strategy person_periods only) the rows of the persons the run rebuilt
                         and of the periods after the held one, which is all it inserts,
      {rows_of: <model>, key: <column>}  (a view only) the rows whose key the model it reads
                         (a ref) wrote in this run: for a view with one row per row of that
                         model (a projection or a filter), keyed by the same column; tested whole
                         until its compiled SQL has been tested whole and passed,
      {union_of: {<value>: <model>, ...}, by: <column>}  (a view only) for a union of models
                         told apart by the column `by`: per branch, the partitions its model
                         wrote in this run (a model scoped by a partition column the view keeps),
                         or the whole branch; tested whole until tested whole as above,
    and, but for person_periods, runs record_run_scope() as a pre-hook; the person_periods
    strategy records its own scope (record_person_periods_run_scope()), since only it knows which
    persons it rebuilt. Either writes the model's ledger, audit.dbt_run_scope__<model>, only when
    the model is built incrementally (is_incremental()), so the ledger says whether the model was
    built incrementally in THIS invocation; a view's ledger is written on every build
    (record_view_run_scope()).
    tested_rows_condition() is the one rule the tests read: the run scope, or none (whole table).
    get_where_subquery() narrows the model's generic tests to that scope, and the PII scan
    (pii_leak_scan(), the one singular test scoped) reads each such model only through it; both
    read the whole table in every other case: `dbt test` alone, --full-refresh, a first build, a
    model not run in this invocation, var full_tests, a model without run_scope, other singular
    tests, and test types not listed in run_scoped_test_keys(). -#}


{#- Whether tests are scoped to what a run wrote on this engine. Not on Spark: the ledger needs
    `create or replace table` (v2 tables only, not parquet) and information_schema, which Spark's
    session catalog lacks; there every test reads the whole table, as it does after a full build. -#}
{% macro run_scoped_tests_supported() -%}
    {{ return(adapter.dispatch('run_scoped_tests_supported', 'user_asset_warehouse')()) }}
{%- endmacro %}

{% macro default__run_scoped_tests_supported() -%}
    {{ return(true) }}
{%- endmacro %}

{% macro spark__run_scoped_tests_supported() -%}
    {{ return(false) }}
{%- endmacro %}


{#- The one-row ledger of a model's last incremental run: audit.dbt_run_scope__<model>. One table
    per model, so that models running at the same time never write the same table. -#}
{% macro run_scope_relation(node) -%}
    {{ return(audit_relation('dbt_run_scope__' ~ node.name)) }}
{%- endmacro %}


{#- Pre-hook of a model with meta.run_scope: on an incremental run, records in its ledger
    (run_scope_relation()) the invocation and where its written rows start (the partition cutoff,
    computed as the model computes it: the hook runs before the model's insert). Nothing on a
    full build, nor where run_scoped_tests_supported() is false (Spark). -#}
{% macro record_run_scope() -%}
    {%- if execute and run_scoped_tests_supported() and model.config.meta.get('run_scope') is mapping -%}
        {{ record_view_run_scope() }}
    {%- elif execute and is_incremental() and run_scoped_tests_supported() -%}
        {%- set scope = model.config.meta.get('run_scope') -%}
        {%- if not scope -%}
            {{ exceptions.raise_compiler_error(
                "Model " ~ model.name ~ " (" ~ model.original_file_path ~ ") runs the pre-hook"
                ~ " record_run_scope() but declares no meta.run_scope in its yml: add"
                ~ " `meta: {run_scope: dbt_invocation_id}` or `{run_scope: partition_date}`"
                ~ " (docs/incremental.md), or remove the hook.") }}
        {%- endif -%}
        {%- set written_from = none if scope == 'dbt_invocation_id' else incremental_partition_cutoff(scope) -%}
        {%- if scope == 'dbt_invocation_id' or written_from -%}
            create or replace table {{ run_scope_relation(model) }} as
            select
                '{{ invocation_id }}' as invocation_id,
                '{{ scope }}' as scope_column,
                {{ "'" ~ written_from ~ "'" if written_from else 'null' }} as written_from
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#- The md5 of the compiled SQL of a view declaring meta.run_scope {rows_of, key} or {union_of,
    by} whose tests last read it whole and all passed, audit.dbt_view_tested__<view> (one row):
    until its current SQL is recorded there, its tests read it whole. -#}
{% macro view_tested_relation(node) -%}
    {{ return(audit_relation('dbt_view_tested__' ~ node.name)) }}
{%- endmacro %}


{#- Pre-hook of a view declaring meta.run_scope {rows_of, key} or {union_of, by}
    (record_run_scope() calls it): records in its ledger that this invocation built it, with the
    md5 of its compiled SQL, and
    whether its tests may be scoped: 'rows_of' when that SQL is the one its tests last read
    whole and passed (view_tested_relation()), else 'definition_changed' (its rows may differ
    anywhere: its tests read it whole, and record_view_definitions_tested() records the SQL
    once they all pass). A first build finds no record: whole. -#}
{% macro record_view_run_scope() -%}
    {%- if model.config.materialized != 'view' -%}
        {{ exceptions.raise_compiler_error(
            "Model " ~ model.name ~ " (" ~ model.original_file_path ~ ") declares meta.run_scope"
            ~ " {rows_of: ..., key: ...} or {union_of: ..., by: ...}, which only a view can"
            ~ " (docs/incremental.md).") }}
    {%- endif -%}
    {%- set ledger = run_scope_relation(model) -%}
    {%- set tested = view_tested_relation(model) -%}
    {%- set definition = local_md5(model.compiled_code or '') -%}
    create table if not exists {{ tested }} (definition {{ dbt.type_string() }});
    create or replace table {{ ledger }} as
    select
        '{{ invocation_id }}' as invocation_id,
        case
            when exists (select 1 from {{ tested }} as tested where tested.definition = '{{ definition }}')
                then 'rows_of'
            else 'definition_changed'
        end as scope_column,
        '{{ definition }}' as written_from
{%- endmacro %}


{#- on-run-end hook: for each view declaring meta.run_scope {rows_of, key} or {union_of, by}
    that this invocation built from SQL not yet tested ('definition_changed' in its ledger),
    records that SQL as tested (view_tested_relation()) when every test of the view ran in this
    invocation, whole, and passed. Returns the statements (DuckDB rolls back statements run while
    rendering a hook). -#}
{% macro record_view_definitions_tested(results) -%}
    {%- if execute and run_scoped_tests_supported() -%}
        {%- set passed = [] -%}
        {%- for result in results if result.node.resource_type == 'test' and (result.status | string) == 'pass' -%}
            {%- do passed.append(result.node.unique_id) -%}
        {%- endfor -%}
        {%- set statements = [] -%}
        {%- for view in graph.nodes.values() if view.resource_type == 'model'
            and view.config.meta.get('run_scope') is mapping -%}
            {%- set tests = graph.nodes.values() | selectattr('resource_type', 'equalto', 'test')
                | selectattr('attached_node', 'equalto', view.unique_id) | map(attribute='unique_id') | list -%}
            {%- set row = run_scope_ledger_row(view) if tests and tests | reject('in', passed) | list | length == 0 -%}
            {%- if row and row[0] == 'definition_changed' -%}
                {%- do statements.append(
                    "create or replace table " ~ view_tested_relation(view) ~ " as select '" ~ row[1] ~ "' as definition"
                ) -%}
            {%- endif -%}
        {%- endfor -%}
        {{ statements | join(';\n') }}
    {%- endif -%}
{%- endmacro %}


{#- The condition naming the rows of a view declaring meta.run_scope {rows_of, key} that the
    current invocation changed: those whose key the model named by rows_of wrote incrementally
    in it (run_scope_condition() of that model), when the view was built in this invocation from
    SQL already tested whole ('rows_of' in its ledger: record_view_run_scope()); none (whole
    view) otherwise. -#}
{% macro rows_of_run_scope_condition(node, scope) -%}
    {%- set hooks = node.config.get('pre-hook', []) | map(attribute='sql') | join(' ') -%}
    {%- set parents = [] -%}
    {%- for parent_id in node.depends_on.nodes -%}
        {%- set parent = graph.nodes.get(parent_id) -%}
        {%- if parent and parent.resource_type == 'model' and parent.name == scope.get('rows_of') -%}
            {%- do parents.append(parent) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if node.config.materialized != 'view' or not scope.get('key') or parents | length != 1
        or 'record_run_scope' not in hooks -%}
        {{ exceptions.raise_compiler_error(
            "Model " ~ node.name ~ " (" ~ node.original_file_path ~ ") declares meta.run_scope"
            ~ " {rows_of: ..., key: ...}, which only a view can: one that reads the model named by"
            ~ " rows_of with ref(), keeps its key column and runs the pre-hook record_run_scope()"
            ~ " (docs/incremental.md).") }}
    {%- endif -%}
    {%- set parent_condition = run_scope_condition(parents[0]) -%}
    {%- if parent_condition is none or not view_scope_tested(node) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set parent_relation = api.Relation.create(
        database=parents[0].database, schema=parents[0].schema, identifier=parents[0].alias) -%}
    {{ return(
        scope.key ~ " in (select scoped_rows." ~ scope.key ~ " from " ~ parent_relation
        ~ " as scoped_rows where " ~ parent_condition ~ ")"
    ) }}
{%- endmacro %}


{#- The condition naming the rows of a view declaring meta.run_scope {union_of, by} that the
    current invocation changed. Such a view is a union of models and reads nothing else: each
    branch passes the rows of one model through (a projection or a filter, partition column
    kept), and `union_of` maps each value of the column `by` to the model of that branch. Per
    branch: the rows its model wrote
    incrementally in this invocation when that model's run_scope is a partition column the view
    keeps (documented among its columns), as `by = '<value>' and <that model's condition>`;
    otherwise (a model built whole, not built in this invocation, or scoped by a column the view
    does not keep) every row of the branch. Rows of a branch union_of does not name are always
    included. Only when the view was built in this invocation from SQL already tested whole (as
    for rows_of: record_view_run_scope()); none (whole view) otherwise, or when no branch is
    scoped. -#}
{% macro union_of_run_scope_condition(node, scope) -%}
    {%- set hooks = node.config.get('pre-hook', []) | map(attribute='sql') | join(' ') -%}
    {%- set branches = scope.get('union_of') -%}
    {#- Everything the view reads, by name: only the models union_of names (another input, joined
        in, could change a branch's old rows). -#}
    {%- set parents = {} -%}
    {%- for parent_id in node.depends_on.nodes -%}
        {%- set parent = graph.nodes.get(parent_id) -%}
        {%- do parents.update({parent.name if parent else parent_id: parent}) -%}
    {%- endfor -%}
    {%- set check = namespace(names=[], plain_values=true) -%}
    {%- if branches is mapping -%}
        {%- for value, name in branches.items() -%}
            {%- do check.names.append(name) -%}
            {%- set check.plain_values = check.plain_values and value is string and value != ''
                and "'" not in value -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if node.config.materialized != 'view' or not scope.get('by') or 'rows_of' in scope
        or not check.names or check.names | sort != parents.keys() | sort
        or not check.plain_values or 'record_run_scope' not in hooks -%}
        {{ exceptions.raise_compiler_error(
            "Model " ~ node.name ~ " (" ~ node.original_file_path ~ ") declares meta.run_scope"
            ~ " {union_of: ..., by: ...}, which only a view can: one that reads the models"
            ~ " union_of names with ref() and nothing else, one per branch, passing their rows"
            ~ " through; whose branches the column `by` tells apart, each value a plain text;"
            ~ " and that runs the pre-hook record_run_scope() (docs/incremental.md).") }}
    {%- endif -%}
    {%- if not view_scope_tested(node) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set conditions = [] -%}
    {%- set values = [] -%}
    {%- set state = namespace(scoped=false) -%}
    {%- for value, name in branches | dictsort -%}
        {%- set parent = parents[name] -%}
        {%- set column = parent.config.meta.get('run_scope') -%}
        {%- set branch = scope.by ~ " = '" ~ value ~ "'" -%}
        {%- set parent_condition = run_scope_condition(parent)
            if column is string and column not in ['dbt_invocation_id', 'person_periods']
                and column in node.columns
            else none -%}
        {%- if parent_condition is none -%}
            {%- do conditions.append(branch) -%}
        {%- else -%}
            {%- set state.scoped = true -%}
            {%- do conditions.append('(' ~ branch ~ ' and ' ~ parent_condition ~ ')') -%}
        {%- endif -%}
        {%- do values.append("'" ~ value ~ "'") -%}
    {%- endfor -%}
    {%- if not state.scoped -%}
        {{ return(none) }}
    {%- endif -%}
    {#- A branch union_of does not name: whole. -#}
    {%- do conditions.append(
        scope.by ~ ' is null or ' ~ scope.by ~ ' not in (' ~ values | join(', ') ~ ')'
    ) -%}
    {{ return('(' ~ conditions | join(' or ') ~ ')') }}
{%- endmacro %}


{#- Whether the tests of a view declaring a meta.run_scope mapping may be scoped in this
    invocation: the engine supports scoped tests, and the view was built in this invocation from
    SQL already tested whole ('rows_of' in its ledger: record_view_run_scope()). -#}
{% macro view_scope_tested(node) -%}
    {%- if not run_scoped_tests_supported() -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set row = run_scope_ledger_row(node) -%}
    {{ return(row is not none and row[0] == 'rows_of') }}
{%- endmacro %}


{#- The row (scope_column, written_from) of `node`'s ledger for this invocation, or none when
    the ledger is missing or was written by another invocation. The one read of the ledgers. -#}
{% macro run_scope_ledger_row(node) -%}
    {%- set ledger = run_scope_relation(node) -%}
    {%- if not audit_table_exists(ledger) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set rows = run_query(
        "select scope_column, written_from from " ~ ledger ~ " where invocation_id = '" ~ invocation_id ~ "'"
    ).rows -%}
    {{ return(rows[0] if rows | length > 0 else none) }}
{%- endmacro %}


{#- The persons a person_periods run rebuilt whole, audit.dbt_run_persons__<model>. -#}
{% macro run_scope_persons_relation(node) -%}
    {{ return(audit_relation('dbt_run_persons__' ~ node.name)) }}
{%- endmacro %}


{#- Called by the person_periods strategy (macros/incremental/person_periods.sql) before it writes,
    in the same transaction, for a model declaring meta.run_scope person_periods: records the held
    period end (the rows after it are new) and the persons whose rows the strategy replaces (those
    with a new row at or before it), which together are every row it inserts. -#}
{% macro record_person_periods_run_scope(target, source) -%}
    {%- if run_scoped_tests_supported() and model.config.meta.get('run_scope') == 'person_periods' -%}
    create or replace table {{ run_scope_persons_relation(model) }} as
    select distinct rebuilt.one_id
    from {{ source }} as rebuilt
    where rebuilt.{{ person_period_column() }} <= {{ held_period_end(target) }};

    create or replace table {{ run_scope_relation(model) }} as
    select
        '{{ invocation_id }}' as invocation_id,
        'person_periods' as scope_column,
        cast({{ held_period_end(target) }} as {{ dbt.type_string() }}) as written_from;
    {%- endif -%}
{%- endmacro %}


{#- The columns a generic test groups rows by (a key or a group), [] for a row-level test, or none
    for a test that must read the whole table (relationships, unknown types: safe by default). A
    row-level test of the written rows is enough: the other rows have not changed since they were
    tested. A test over groups reads every row sharing a group with a written row, so a duplicate
    between a new row and an old one is caught. -#}
{% macro run_scoped_test_keys(test_metadata) -%}
    {%- set name = test_metadata.name -%}
    {%- set kwargs = test_metadata.kwargs -%}
    {%- if name in ['not_null', 'accepted_values', 'expression_is_true'] -%}
        {{ return([]) }}
    {%- elif name == 'unique' -%}
        {{ return([kwargs.column_name]) }}
    {%- elif name == 'unique_combination_of_columns' -%}
        {{ return(kwargs.combination_of_columns) }}
    {%- elif name == 'no_file_wholly_rejected' -%}
        {{ return(['file_name']) }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}


{#- The condition naming the rows the current invocation wrote incrementally into `node` (a
    model of the graph), or none when it did not build the model incrementally (whole table). -#}
{% macro run_scope_condition(node) -%}
    {%- set scope = node.config.meta.get('run_scope') -%}
    {%- if scope is mapping and 'union_of' in scope -%}
        {{ return(union_of_run_scope_condition(node, scope)) }}
    {%- elif scope is mapping -%}
        {{ return(rows_of_run_scope_condition(node, scope)) }}
    {%- endif -%}
    {%- if not scope or node.config.materialized != 'incremental' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set hooks = node.config.get('pre-hook', []) | map(attribute='sql') | join(' ') -%}
    {%- if scope == 'person_periods' and node.config.get('incremental_strategy') != 'person_periods' -%}
        {{ exceptions.raise_compiler_error(
            "Model " ~ node.name ~ " (" ~ node.original_file_path ~ ") declares meta.run_scope"
            ~ " person_periods, which only the incremental strategy person_periods records: use that"
            ~ " strategy or another run_scope (docs/incremental.md).") }}
    {%- elif scope != 'person_periods' and 'record_run_scope' not in hooks -%}
        {{ exceptions.raise_compiler_error(
            "Model " ~ node.name ~ " (" ~ node.original_file_path ~ ") declares meta.run_scope but"
            ~ " does not run the pre-hook record_run_scope(): add `pre_hook: \"{{ record_run_scope() }}\"`"
            ~ " to its config in the yml (docs/incremental.md).") }}
    {%- endif -%}
    {%- if not run_scoped_tests_supported() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set row = run_scope_ledger_row(node) -%}
    {%- if row is none -%}
        {{ return(none) }}
    {%- elif row[0] == 'dbt_invocation_id' -%}
        {{ return("dbt_invocation_id = '" ~ invocation_id ~ "'") }}
    {%- elif row[0] == 'person_periods' -%}
        {{ return(
            "(" ~ person_period_column(node) ~ " > cast('" ~ row[1] ~ "' as date) or one_id in (select rebuilt.one_id from "
            ~ run_scope_persons_relation(node) ~ " as rebuilt))"
        ) }}
    {%- else -%}
        {{ return(row[0] ~ " >= cast('" ~ row[1] ~ "' as date)") }}
    {%- endif -%}
{%- endmacro %}


{#- The condition naming the rows a test of `node` (a graph node) reads on this run, or none for
    the whole table: run_scope_condition(), unless var full_tests asks for whole tables (the
    weekly job). Used by get_where_subquery() and pii_leak_scan(). -#}
{% macro tested_rows_condition(node) -%}
    {%- if (var('full_tests', false) | string | lower) in ['true', '1', 'yes'] or node.resource_type != 'model' -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(run_scope_condition(node)) }}
{%- endmacro %}


{#- Overrides dbt's get_where_subquery, which wraps the tested relation of every generic test:
    keeps the `where` config and, on an incremental run of the tested model in this invocation,
    narrows the test to the rows the run wrote (see the top of this file). -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set scope = none -%}
    {%- set keys = none -%}
    {%- if execute and model.resource_type == 'test'
        and model.get('test_metadata') and model.get('attached_node') -%}
        {%- set node = graph.nodes.get(model.attached_node) -%}
        {%- if node and node.resource_type == 'model' and relation.identifier == node.alias -%}
            {%- set keys = run_scoped_test_keys(model.test_metadata) -%}
            {%- if keys is not none -%}
                {%- set scope = tested_rows_condition(node) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    {%- if scope is none -%}
        {%- if where -%}
            {{ return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') }}
        {%- endif -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set filtered -%}
        {%- if keys | length == 0 -%}
        (
            -- run scope: the rows this invocation wrote (macros/tests/run_scope.sql)
            select * from {{ relation }} where {{ scope }}{{ ' and (' ~ where ~ ')' if where }}
        ) dbt_subquery
        {%- else -%}
        (
            -- run scope: every row sharing {{ keys | join(', ') }} with a row this invocation wrote
            -- (macros/tests/run_scope.sql)
            select whole_table.* from {{ relation }} as whole_table
            where {{ '(' ~ where ~ ') and ' if where }}exists (
                select 1 from {{ relation }} as written
                where {{ scope }}{{ ' and (' ~ where ~ ')' if where }}
                {%- for key in keys %}
                    and whole_table.{{ key }} is not distinct from written.{{ key }}
                {%- endfor %}
            )
        ) dbt_subquery
        {%- endif -%}
    {%- endset -%}
    {{ return(filtered) }}
{%- endmacro %}
