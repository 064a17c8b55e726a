{#- A person's input fingerprint, an aggregate over their input rows: a hash of the row count and
    of the sum of a hash of `columns` per row. It does not depend on the order of rows, and a
    change of any of `columns` in any row goes unnoticed only on a hash collision. Not bit_xor():
    equal rows cancel out in it, and so does the last column of hash(a, b, c), which DuckDB
    combines by xor, when it changes the same way in two rows of a person (the same period's GMV
    on its lifecycle and operations rows). With `filter`, over the rows meeting it only. -#}
{% macro person_fingerprint(columns, filter=none) -%}
    {%- set only = ' filter (where ' ~ filter ~ ')' if filter else '' -%}
    hash(count(*){{ only }}, sum(hash({{ columns | join(', ') }})){{ only }})
{%- endmacro %}


{#- One row per person with rows in `source` (those meeting `where`): one_id and the fingerprint
    of those rows (input_fingerprint). `source` is a relation or a parenthesised, aliased
    subquery. -#}
{% macro person_fingerprints(source, columns, where='true') -%}
    select
        one_id,
        {{ person_fingerprint(columns) }} as input_fingerprint
    from {{ source }}
    where {{ where }}
    group by 1
{%- endmacro %}


{#- The persons an incremental run of a per-person model rebuilds (a query of `one_id`): those
    whose rows in `source` (the rows meeting `where`) have another fingerprint than what `target`
    holds, new persons included, with their new fingerprint (input_fingerprint; see
    person_fingerprints() for `source`); with `removed`, also the persons `target` holds rows of
    and `source` has none (input_fingerprint null): rows a person lost while keeping others
    elsewhere. `columns` are the input columns the model reads
    (one_id among them). The target's fingerprints are computed from its own rows when it keeps
    those columns (`stored=false`; `target_columns` when the target holds them as other
    expressions of the same values and types), or read from its `input_fingerprint` column, the
    same on every row of a person, when it aggregates them (`stored=true`). Persons with no source
    row left are for the model's post-hook to delete (delete_persons_missing_from()). The models
    using it are incremental only on DuckDB (incremental_materialization()). -#}
{% macro changed_persons(
    source, target, columns, where='true', stored=false, target_columns=none, removed=false
) -%}
    select
        coalesce(source_persons.one_id, target_persons.one_id) as one_id,
        source_persons.input_fingerprint
    from (
        {{ person_fingerprints(source, columns, where) }}
    ) as source_persons
    {{ 'full outer' if removed else 'left' }} join (
        {%- if stored %}
        select one_id, min(input_fingerprint) as input_fingerprint
        from {{ target }}
        group by one_id
        {%- else %}
        {{ person_fingerprints(target, target_columns or columns) }}
        {%- endif %}
    ) as target_persons
        on source_persons.one_id = target_persons.one_id
    where
        target_persons.one_id is null
        {%- if removed %}
        or source_persons.one_id is null
        {%- endif %}
        or source_persons.input_fingerprint != target_persons.input_fingerprint
{%- endmacro %}


{#- The persons an incremental run of a per-person model rebuilds (a query of one_id), from change
    tracking where it can (macros/incremental/person_writes.sql): the persons `upstream` (the
    model `source` is, or reads; or a list of them) wrote since this model's last run and, when `bound` (a timestamp
    expression the model filters its inputs on, e.g. as_of_end()) moved since that run, the
    persons with `source` rows between the two bounds in `bound_column`. The model records the
    bound with its pre-hook record_person_writes(run_state=bound). Where the log cannot tell (no
    log yet, an upstream model rebuilt whole since, a log that does not reach back to the model's
    last run), changed_persons() compares every person's
    rows (`stored` and `target_columns` as there). Cheap where it can: it reads logs and, when
    the bound moved, one column's range. `fallback_if`, a SQL condition on
    `previous_run_state` (the text the model's last run recorded; null counts as true), makes it
    compare everything when the log cannot be trusted for this model. -#}
{% macro changed_persons_since_last_run(
    upstream, source, target, columns, where='true', bound=none, bound_column=none, stored=false,
    target_columns=none, fallback_if=none
) -%}
    {%- set watermark = person_log_watermark() -%}
    {%- set upstreams = [upstream] if upstream is string else upstream -%}
    {%- set logs = [] -%}
    {%- for name in upstreams -%}
        {%- do logs.append(persons_written_since(name, watermark)) -%}
    {%- endfor -%}
    {%- set written = logs | reject('none') | list -%}
    {%- set held_state = person_log_run_state(watermark) if watermark else none -%}
    {%- set held_bound = held_state if bound else none -%}
    {%- set fall_back = 'all' in written or (bound and held_bound is none) -%}
    {%- if not fall_back and fallback_if -%}
        {%- set fall_back = run_query(
            'select coalesce((' ~ (fallback_if | replace('previous_run_state', held_state or 'null')) ~ '), true)'
        ).columns[0].values()[0] -%}
    {%- endif -%}
    {%- if fall_back -%}
    {{ changed_persons(source, target, columns, where, stored=stored, target_columns=target_columns) }}
    {%- else -%}
    -- change tracking (macros/incremental/person_writes.sql): the persons {{ upstreams | join(' and ') }}
    -- wrote since this model's last run{{ ', and those with rows between the bounds of that run and this one' if bound }}
    select distinct changed.one_id
    from (
        {%- for log in written %}
        select written.one_id from {{ log }} as written
        {{- '\n        union all' if not loop.last }}
        {%- else %}
        select cast(null as {{ dbt.type_string() }}) as one_id where false
        {%- endfor %}
        {%- if bound %}
        union all
        select moved.one_id
        from {{ source }} as moved
        where
            moved.{{ bound_column }} >= least(cast({{ held_bound }} as timestamp), {{ bound }})
            and moved.{{ bound_column }} < greatest(cast({{ held_bound }} as timestamp), {{ bound }})
        {%- endif %}
    ) as changed
    where changed.one_id is not null
    {%- endif -%}
{%- endmacro %}


{#- Hook of the per-person incremental models: on an incremental run, deletes the persons that
    have no row in `source` (the rows meeting `where`) any more: merged into another person,
    erased, or their events moved away. delete+insert on one_id only replaces the persons a run
    selects (a post-hook). The person × period models run it as a pre-hook on the rows up to the
    held period (macros/incremental/person_periods.sql). A model keeping a person log logs the
    persons it deletes (delete_logging_persons()). Nothing on a full build. -#}
{% macro delete_persons_missing_from(source, where='true') -%}
    {%- if is_incremental() %}
    {{ delete_logging_persons(
        'one_id not in (select source_rows.one_id from ' ~ source ~ ' as source_rows'
        ~ ' where source_rows.one_id is not null and ' ~ where ~ ')',
        'one_id'
    ) }}
    {%- endif %}
{%- endmacro %}
