{#- Incremental person × period models (activity, lifecycle stages, state transitions): a row at a
    period end depends only on the person's inputs up to that period's end. A run writes, for each
    person it selects, either every row (the person's inputs up to the held period changed, or the
    person is new) or only the rows of the periods completed since the table's last period (the
    held period, held_period_end()), carried on from the held row. So a day that completes a period
    appends one row per person instead of rebuilding everyone.

    The strategy `person_periods` (incremental_strategy='person_periods') deletes the rows of the
    persons the run rebuilt whole, those with a new row at or before the held period, and inserts
    the new rows. The persons with no input left up to the held period are deleted before the run
    by delete_persons_missing_from() as a pre-hook; a person rebuilt whose rows now all lie after
    the held period therefore has no row left to replace. The models using it are incremental
    only on DuckDB (incremental_materialization()).

    The period column is `period_end` unless the model's yml names another in meta.period_column
    (fct_rfm_snapshots: snapshot_date); person_period_column() is where it is read. -#}


{#- The period column of a person × period model (`node`, or the current model). -#}
{% macro person_period_column(node=none) -%}
    {{ return(((node or model).config.meta or {}).get('period_column', 'period_end')) }}
{%- endmacro %}


{#- The table's last period end (a date), as a scalar subquery; the earliest date when the table is
    empty. Valid only in an incremental run, on the models keyed by one_id and their period column
    (person_period_column()). -#}
{% macro held_period_end(relation=none) -%}
    (
        select coalesce(max(held_rows.{{ person_period_column() }}), date '0001-01-01')
        from {{ relation or this }} as held_rows
    )
{%- endmacro %}


{#- The first instant after the held period (int_periods' period_end_at), as a scalar subquery: null
    when the held period is no period any more (another period grain or as-of date), and the pre-hook
    then deletes every person, so the run rebuilds everyone. -#}
{% macro held_period_end_at() -%}
    (
        select held_period.period_end_at
        from {{ ref('int_periods') }} as held_period
        where held_period.period_end = {{ held_period_end() }}
    )
{%- endmacro %}


{#- Post-hook of int_person_period_activity: the fingerprint stays on each person's row of the last
    period only (as a full build writes it), once a run has added rows after the held one. -#}
{% macro keep_fingerprints_on_last_period() -%}
    {%- if is_incremental() %}
    update {{ this }}
    set input_fingerprint = null
    where
        input_fingerprint is not null
        and period_end < (select max(last_rows.period_end) from {{ this }} as last_rows)
    {%- endif %}
{%- endmacro %}


{% macro get_incremental_person_periods_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- set period_column = person_period_column() -%}
    {{ record_person_periods_run_scope(target, source) }}
    {%- if model_logs_person_writes() %}
    {#- Its readers take the rows after the held period by period; the persons rebuilt changed. A
        table its pre-hook emptied (no held period) is rebuilt whole: everyone it writes changed,
        the rows of periods its readers hold too. #}
    {{ log_person_writes(
        '(select rebuilt.one_id from ' ~ source ~ ' as rebuilt where rebuilt.' ~ period_column ~ ' <= '
        ~ held_period_end(target) ~ ' or ' ~ held_period_end(target) ~ " = date '0001-01-01')"
    ) }};
    {%- endif %}

    delete from {{ target }}
    where one_id in (
        select rebuilt.one_id
        from {{ source }} as rebuilt
        where rebuilt.{{ period_column }} <= {{ held_period_end(target) }}
    );

    insert into {{ target }} ({{ columns }})
    (
        select {{ columns }}
        from {{ source }}
    )
{%- endmacro %}


{#- The rows of a person × period source an incremental run reads: every row of the persons it
    rebuilds (the CTE changed_persons) and, once a period completed after the held one, everyone's
    rows from the held period on (the held row gives the new rows their previous stage or state).
    `period_column` is the source's period end; `completed_from` a relation or CTE whose latest
    period_end tells whether a period completed. -#}
{% macro changed_or_held_rows(period_column, completed_from) -%}
    (
        one_id in (select changed_persons.one_id from changed_persons)
        or (
            {{ period_column }} >= {{ held_period_end() }}
            and {{ held_period_end() }} < (
                select max(completed.period_end) from {{ completed_from }} as completed
            )
        )
    )
{%- endmacro %}


{#- The rows a person × period model writes, as a condition on `person_column` and `period_column`
    (the model's own, person_period_column(), unless named): on an incremental run every row of the
    persons it rebuilds (the CTE changed_persons) and the rows of the periods completed after the
    held one; on a full build every row (true). -#}
{% macro rebuilt_or_new_rows(person_column='one_id', period_column=none) -%}
    {%- if is_incremental() -%}
    (
        {{ person_column }} in (select changed_persons.one_id from changed_persons)
        or {{ period_column or person_period_column() }} > {{ held_period_end() }}
    )
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}
