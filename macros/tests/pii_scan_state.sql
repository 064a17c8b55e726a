{#- Whether the PII scan (pii_leak_scan()) may read the models this run wrote only through their
    run scope (docs/incremental.md, "Tests on incremental runs"). A scoped scan is safe only when
    every row written before this run was scanned by a scan that passed: a run killed before its
    scan, a run without it (`dbt run`, a build excluding the test) or a run whose scan failed
    leaves rows no passing scan has read, which a scoped scan of the next run would not read.

    The one-row table audit.dbt_pii_scan_state (pii_scan_state_relation()) holds
      last_started       the last invocation that ran the project's hooks (any command that can
                         write: build, run, test, seed, snapshot, retry, ...);
      last_passed        the last invocation whose PII scan passed;
      scoped_invocation  the invocation allowed to scope its scan, or null.
    On run start (record_pii_scan_start()) this invocation may scope exactly when the previous
    one's scan passed (last_started = last_passed); then it is recorded as started. On run end
    (record_pii_scan_pass()) it is recorded as passed when the PII scan is among its results with
    status pass. No state (a new warehouse) or a failed, missing or killed scan: whole tables,
    until a scan passes. Spark (run_scoped_tests_supported() false) scans whole tables always:
    both hooks are no-ops there. -#}


{% macro pii_scan_state_relation() -%}
    {{ return(audit_relation('dbt_pii_scan_state')) }}
{%- endmacro %}


{#- on-run-start hook (after create_run_audit_tables()). Returns the statements for the hook to
    run: DuckDB rolls back statements run while rendering a hook. -#}
{% macro record_pii_scan_start() -%}
    {%- if execute and run_scoped_tests_supported() -%}
        {%- set state = pii_scan_state_relation() -%}
    create schema if not exists {{ state.include(identifier=false) }};
    create table if not exists {{ state }} (
        last_started {{ dbt.type_string() }},
        last_passed {{ dbt.type_string() }},
        scoped_invocation {{ dbt.type_string() }}
    );
    insert into {{ state }} (last_started, last_passed, scoped_invocation)
    select null, null, null where not exists (select 1 from {{ state }});
    update {{ state }} set
        scoped_invocation = case when last_started = last_passed then '{{ invocation_id }}' end,
        last_started = '{{ invocation_id }}'
    {%- endif -%}
{%- endmacro %}


{#- on-run-end hook: records this invocation as passed when the PII scan (the test calling
    pii_leak_scan()) ran in it and passed, and no other invocation has started since. -#}
{% macro record_pii_scan_pass(results) -%}
    {%- if execute and run_scoped_tests_supported() -%}
        {%- set passed = [] -%}
        {%- for result in results if result.node.resource_type == 'test'
            and 'pii_leak_scan()' in (result.node.raw_code or '') and (result.status | string) == 'pass' -%}
            {%- do passed.append(result.node.unique_id) -%}
        {%- endfor -%}
        {%- if passed -%}
    update {{ pii_scan_state_relation() }} set last_passed = '{{ invocation_id }}'
    where last_started = '{{ invocation_id }}'
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#- Whether this invocation's PII scan may be scoped: the state names it (record_pii_scan_start()
    found every earlier write scanned and passed). False on Spark and without a state table. -#}
{% macro pii_scan_may_scope() -%}
    {%- if not run_scoped_tests_supported() -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set state = pii_scan_state_relation() -%}
    {%- if not audit_table_exists(state) -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set rows = run_query("select scoped_invocation from " ~ state).rows -%}
    {{ return(rows | length == 1 and rows[0][0] == invocation_id) }}
{%- endmacro %}
