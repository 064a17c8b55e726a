{#- Change tracking by person (docs/incremental.md, "Change tracking").

    A model whose rows belong to persons and that a run rewrites anywhere (events moved to another
    person, persons rebuilt) keeps a log of the persons each run wrote,
    audit.dbt_person_writes__<model> (person_writes_relation()), in the transaction of its write,
    so a killed run leaves no row:
      - a marker row per run (one_id null), written by the pre-hook record_person_writes():
        `all_persons` true when the run rewrote everything (a first build, --full-refresh), and
        `run_state`, a text the model chooses (its as-of end) for its own next run to compare;
      - a row per person whose rows the run changed: the incremental strategy
        `logged_delete_insert` logs the persons of the rows it deletes and inserts where the
        two differ (old and new owners of a key), and the delete hooks (delete_persons_missing_from(),
        delete_events_no_longer_accepted()) those of the rows they delete. The strategy
        person_periods logs the persons it rebuilt whole, not those it only gave the rows of a
        newly completed period (everyone, when a period completes): its readers take the rows
        after their own held period for everyone (macros/incremental/person_periods.sql); on a
        table its pre-hook emptied, it logs everyone it writes.
    A reader keeps its own watermark, the start of its last run that committed (the newest
    marker of its own log, person_log_watermark()), and asks persons_written_since() which
    persons a model wrote after it: none, all, or a query of one_id. A run killed, skipped or not
    selected is caught up by the next; a model rebuilt whole upstream makes its readers fall back
    to comparing everything. On Spark nothing is logged (run_scoped_tests_supported() is false;
    the models are tables rebuilt every run there), and readers are told everything changed. -#}


{% macro person_writes_relation(model_name) -%}
    {{ return(audit_relation('dbt_person_writes__' ~ model_name)) }}
{%- endmacro %}


{% macro create_person_writes_log(log) -%}
    create table if not exists {{ log }} (
        invocation_id {{ dbt.type_string() }},
        one_id {{ dbt.type_string() }},
        all_persons boolean,
        run_state {{ dbt.type_string() }},
        written_at timestamp with time zone
    )
{%- endmacro %}


{#- Pre-hook of a model keeping a person log: its run's marker row. `run_state` is a SQL
    expression of text (or none) that the model's next run compares with its own. -#}
{% macro record_person_writes(run_state=none) -%}
    {%- if execute and is_incremental()
        and model.config.get('incremental_strategy') not in ['logged_delete_insert', 'person_periods'] -%}
        {{ exceptions.raise_compiler_error(
            "Model " ~ model.name ~ " (" ~ model.original_file_path ~ ") runs the pre-hook"
            ~ " record_person_writes() with the incremental strategy "
            ~ model.config.get('incremental_strategy') ~ ", which does not log the persons it"
            ~ " writes, so its readers would miss them: use incremental_strategy='logged_delete_insert'"
            ~ " (macros/incremental/person_writes.sql).") }}
    {%- endif -%}
    {%- if execute and run_scoped_tests_supported() -%}
        {%- set log = person_writes_relation(model.name) -%}
    {{ create_person_writes_log(log) }};
    insert into {{ log }} (invocation_id, one_id, all_persons, run_state, written_at)
    select
        '{{ invocation_id }}',
        null,
        {{ 'false' if is_incremental() else 'true' }},
        {{ 'cast(' ~ run_state ~ ' as ' ~ dbt.type_string() ~ ')' if run_state else 'null' }},
        current_timestamp;
    {#- Older rows go: a reader whose last run is older finds a log that does not reach back to it
        and compares everything (persons_written_since()). #}
    delete from {{ log }}
    where written_at < current_timestamp - interval {{ var('change_log_retention_days') }} day
    {%- endif -%}
{%- endmacro %}


{#- Logs the persons (`persons`: a query or relation with a one_id column) as written by this run
    of the current model, when it keeps a person log (its pre-hooks run record_person_writes()). -#}
{% macro log_person_writes(persons) -%}
    {%- if execute and run_scoped_tests_supported() and model_logs_person_writes() -%}
    insert into {{ person_writes_relation(model.name) }} (invocation_id, one_id, all_persons, written_at)
    select distinct '{{ invocation_id }}', written.one_id, false, current_timestamp
    from {{ persons }} as written
    where written.one_id is not null
    {%- endif -%}
{%- endmacro %}


{% macro model_logs_person_writes() -%}
    {%- set hooks = model.config.get('pre-hook', []) | map(attribute='sql') | join(' ') -%}
    {{ return('record_person_writes' in hooks) }}
{%- endmacro %}


{#- The incremental strategy logged_delete_insert: delete+insert on unique_key that first logs the
    persons of the rows it replaces (their previous one_id) and of the rows it inserts, where
    the two differ: a model that rewrites recent partitions whole every run (the resolved
    events) logs only the persons whose rows changed, not everyone active in those days. -#}
{% macro get_incremental_logged_delete_insert_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set key = arg_dict['unique_key'] -%}
    {%- if key is not string -%}
        {{ exceptions.raise_compiler_error(
            "Model " ~ model.name ~ " (" ~ model.original_file_path ~ "): the incremental strategy"
            ~ " logged_delete_insert takes one unique_key column, not " ~ key ~ ".") }}
    {%- endif -%}
    {%- if not model_logs_person_writes() -%}
        {{ exceptions.raise_compiler_error(
            "Model " ~ model.name ~ " (" ~ model.original_file_path ~ ") uses the incremental strategy"
            ~ " logged_delete_insert without the pre-hook record_person_writes(): add it"
            ~ " (macros/incremental/person_writes.sql).") }}
    {%- endif -%}
    {%- if run_scoped_tests_supported() -%}
    {#- The rows replaced and the rows inserted that differ (the run's invocation id aside): a
        re-read partition whose rows come out the same logs nobody. -#}
    {%- set compared = get_quoted_csv(
        arg_dict['dest_columns'] | map(attribute='name') | reject('equalto', 'dbt_invocation_id')
    ) -%}
    {%- set replaced -%}
        select {{ compared }} from {{ target }}
        where {{ key }} in (select written.{{ key }} from {{ source }} as written)
    {%- endset %}
    {{ log_person_writes(
        '(select differing.one_id from ((' ~ replaced ~ ' except select ' ~ compared ~ ' from ' ~ source
        ~ ') union all (select ' ~ compared ~ ' from ' ~ source ~ ' except ' ~ replaced ~ ')) as differing)'
    ) }};
    {%- endif %}
    {{ get_incremental_delete_insert_sql(arg_dict) }}
{%- endmacro %}


{#- Deletes the rows of the current model meeting `condition`, logging their persons first when
    the model keeps a person log; the condition is evaluated once (into a temporary table). -#}
{% macro delete_logging_persons(condition, key) -%}
    {%- if model_logs_person_writes() and run_scoped_tests_supported() -%}
        {%- set doomed = '"' ~ model.name ~ '__deleted"' -%}
    create or replace temporary table {{ doomed }} as
    select distinct {{ key }}{{ ', one_id' if key != 'one_id' }} from {{ this }} where {{ condition }};
    {{ log_person_writes(doomed) }};
    delete from {{ this }} where {{ key }} in (select deleted.{{ key }} from {{ doomed }} as deleted);
    drop table {{ doomed }}
    {%- else -%}
    delete from {{ this }} where {{ condition }}
    {%- endif -%}
{%- endmacro %}


{#- The current model's watermark in its person log: the start of its last run that committed,
    before this invocation (a SQL timestamp literal), or none without a log (a first run, a
    warehouse built before the log existed, Spark). -#}
{% macro person_log_watermark() -%}
    {{ return(log_watermark(person_writes_relation(model.name), 'one_id is null')) }}
{%- endmacro %}


{#- The run_state the current model recorded at its watermark's run (a SQL text literal), or
    none. -#}
{% macro person_log_run_state(watermark) -%}
    {%- set held = run_query(
        "select max(run_state) from " ~ person_writes_relation(model.name)
        ~ " where one_id is null and written_at = " ~ watermark).columns[0].values()[0] -%}
    {{ return("'" ~ held ~ "'" if held is not none else none) }}
{%- endmacro %}


{#- The persons `model_name` wrote in its runs after `since` (a SQL timestamp, or none for
    "ever"): none (it did not run), 'all' (it rewrote everything, or its log does not reach back
    to `since`: no log, Spark, a warehouse from before the log, a log dropped), or a query of
    one_id. -#}
{% macro persons_written_since(model_name, since) -%}
    {%- if not execute or not run_scoped_tests_supported() or since is none -%}
        {{ return('all') }}
    {%- endif -%}
    {%- set log = person_writes_relation(model_name) -%}
    {%- if not audit_table_exists(log) -%}
        {{ return('all') }}
    {%- endif -%}
    {%- set runs = run_query(
        "select count(*) filter (where written_at > " ~ since ~ "),"
        ~ " count(*) filter (where written_at > " ~ since ~ " and all_persons),"
        ~ " count(*) filter (where written_at <= " ~ since ~ ")"
        ~ " from " ~ log ~ " where one_id is null"
    ).rows[0] -%}
    {#- A log that does not reach back to `since` (dropped, or kept only since later) cannot tell
        what happened before it began. -#}
    {%- if runs[1] > 0 or runs[2] == 0 -%}
        {{ return('all') }}
    {%- elif runs[0] == 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return('(select written.one_id from ' ~ log ~ ' as written where written.one_id is not null'
        ~ ' and written.written_at > ' ~ since ~ ')') }}
{%- endmacro %}
