{#- The audit table (audit.dbt_node_results) keeps a node's message, which for a failed node can
    quote the data it choked on (DuckDB's CSV reader prints the whole raw line). What is kept:
    the message with the quoted raw line withheld, phones and e-mails masked as in staging
    (pii_patterns.sql), at most 500 characters; and a message naming an identifier whose erasure
    was requested is removed. Error texts thus still say which file and line, never what was on
    it. -#}

{% macro audit_message_limit() -%}
    {{ return(500) }}
{%- endmacro %}

{% macro audit_raw_line_pattern() -%}
    {{ return('Original Line: [^\\n]*') }}
{%- endmacro %}

{% macro audit_erased_message() -%}
    {{ return('[message removed: it named an identifier whose erasure was requested]') }}
{%- endmacro %}


{#- The redaction in Jinja, for record_run_results, so that the statement inserting a message
    (which dbt logs) never holds the raw text: the same patterns, through Python's re (which
    spells \x{FFxx} as \uFFxx). -#}
{% macro redact_audit_message_text(text) -%}
    {%- if text is none -%}{{ return(none) }}{%- endif -%}
    {%- set text = modules.re.sub(python_regex(audit_raw_line_pattern()), 'Original Line: [withheld]', text | string) -%}
    {%- set text = modules.re.sub(python_regex(pii_email_pattern()), '<email>', text) -%}
    {%- set text = modules.re.sub(python_regex(pii_phone_pattern()), '<phone>', text) -%}
    {{ return(text[:audit_message_limit()]) }}
{%- endmacro %}

{% macro python_regex(pattern) -%}
    {{ return(modules.re.sub('\\\\x\\{([0-9A-Fa-f]{4})\\}', '\\\\u\\1', pattern)) }}
{%- endmacro %}


{#- The same redaction in SQL, for the rows already in the table. -#}
{% macro redacted_audit_message(message) -%}
    substr({{ mask_pii(regex_replace_all(message, audit_raw_line_pattern(), 'Original Line: [withheld]')) }}, 1, {{ audit_message_limit() }})
{%- endmacro %}


{#- (invocation_id, unique_id, message) of every audit row whose message must change: redacted,
    or removed when it contains (case-insensitively) the normalised value of an identifier named
    by an accepted erasure request (an openid without its app prefix). The requests are read
    from base_privacy__erasure_request_lines, the only place that keeps their values; before
    the first build there are none. -#}
{% macro audit_messages_to_redact() -%}
    {%- set results = audit_relation('dbt_node_results') -%}
    {%- set node = graph.nodes.get('model.' ~ project_name ~ '.base_privacy__erasure_request_lines') -%}
    {%- set requests = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) if node else none -%}
    with

    erased as (
        {%- if requests is not none %}

        select distinct lower(
            case
                when identifier_type = 'openid' then {{ regex_extract('normalized_value', '[^/]*$', 0) }}
                else normalized_value
            end
        ) as erased_value
        from (
            select
                identifier_type,
                {{ normalize_identifier('identifier_type', 'identifier_raw_value') }} as normalized_value
            from {{ requests }}
            where line_status = 'accepted'
        ) as normalized
        where normalized_value is not null and normalized_value <> ''
        {%- else %}

        select cast(null as {{ dbt.type_string() }}) as erased_value where false
        {%- endif %}

    ),

    naming_erased as (

        select distinct results.message
        from {{ results }} as results
        inner join erased on instr(lower(results.message), erased.erased_value) > 0

    ),

    redacted as (

        select
            results.invocation_id,
            results.unique_id,
            results.message as old_message,
            case
                when naming_erased.message is not null then {{ string_literal(audit_erased_message()) }}
                else {{ redacted_audit_message('results.message') }}
            end as message
        from {{ results }} as results
        left join naming_erased on results.message = naming_erased.message
        where results.message is not null

    )

    select invocation_id, unique_id, message from redacted
    where message <> old_message
{%- endmacro %}


{#- The statements that redact the audit table in place (run by on-run-start, and by
    record_run_results after its insert). -#}
{% macro audit_redaction_statements() -%}
    {{ return(adapter.dispatch('audit_redaction_statements', 'user_asset_warehouse')()) }}
{%- endmacro %}

{% macro default__audit_redaction_statements() -%}
    {%- set results = audit_relation('dbt_node_results') -%}
    {{ return(['update ' ~ results ~ ' as results set message = fixed.message from (\n'
        ~ audit_messages_to_redact() ~ '\n) as fixed'
        ~ ' where results.invocation_id = fixed.invocation_id and results.unique_id = fixed.unique_id']) }}
{%- endmacro %}

{#- Spark's parquet tables cannot be updated: when a row must change, the table is rewritten. -#}
{% macro spark__audit_redaction_statements() -%}
    {%- set results = audit_relation('dbt_node_results') -%}
    {%- if run_query('select count(*) from (' ~ audit_messages_to_redact() ~ ') as fixed').columns[0].values()[0] == 0 -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set rewritten = audit_relation('dbt_node_results__redacted') -%}
    {%- set names = audit_table_columns()['dbt_node_results'] | map(attribute=0) | list -%}
    {%- set select_list = [] -%}
    {%- for name in names -%}
        {%- do select_list.append('coalesce(fixed.message, results.message) as message' if name == 'message' else 'results.' ~ name) -%}
    {%- endfor -%}
    {{ return([
        'drop table if exists ' ~ rewritten,
        'create table ' ~ rewritten ~ ' using parquet as select ' ~ select_list | join(', ')
            ~ ' from ' ~ results ~ ' as results left join (' ~ audit_messages_to_redact() ~ ') as fixed'
            ~ ' on results.invocation_id = fixed.invocation_id and results.unique_id = fixed.unique_id',
        'drop table ' ~ results,
        'alter table ' ~ rewritten ~ ' rename to ' ~ results]) }}
{%- endmacro %}


{#- on-run-start hook: rows left by earlier runs, and erasure requests that arrived since.
    DuckDB returns the statements for the hook to run and commit; Spark runs them one by one. -#}
{% macro redact_run_audit() -%}
    {%- if execute -%}
        {{ return(adapter.dispatch('redact_run_audit', 'user_asset_warehouse')()) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__redact_run_audit() -%}
    {{ return(audit_redaction_statements() | join(';\n')) }}
{%- endmacro %}

{% macro spark__redact_run_audit() -%}
    {%- for sql in audit_redaction_statements() %}{% do run_query(sql) %}{% endfor -%}
{%- endmacro %}
