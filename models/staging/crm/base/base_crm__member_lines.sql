{{ config(on_schema_change='fail', **partition_incremental_config('partition_date')) }}
{#- Incremental: a daily run reads only the newest partitions (macros/incremental). A member's
    current state spans partitions, so it is chosen downstream (stg_crm__member_updates). -#}
{%- set cutoff = incremental_partition_cutoff() %}
{%- set dedup_keys = ['member_id_text', 'updated_at'] %}
{%- set columns = var('crm_columns') %}

with

raw_lines as (

    {{ raw_lines('crm', 'members', since=cutoff) }}

),

csv_rows as (

    {{ csv_lines('raw_lines', columns, var('crm_required_columns')) }}

),

extracted as (

    select
        file_name,
        line_number,
        partition_date,
        raw_line,
        physical_line_count,
        ignored_columns,
        absent_columns,
        csv_reject_reason,
        {% for column in columns -%}
            nullif(trim({{ csv_field('fields', loop.index) }}), '') as {{ column }}_text,
        {% endfor -%}
        {{ parse_local_timestamp(
            "nullif(trim(" ~ csv_field('fields', columns.index('updated_at') + 1) ~ "), '')",
            var('crm_time_zone')
        ) }} as updated_at
    from csv_rows

),

classified as (

    select
        *,
        case
            when csv_reject_reason is not null then csv_reject_reason
            when member_id_text is null then 'missing_member_id'
            when updated_at is null then 'bad_time'
        end as reject_reason
    from extracted

),

statused as (

    select
        *,
        -- The same member change exported twice is a duplicate.
        {{ line_status(dedup_keys=dedup_keys) }} as status_in_run
    from classified

),

statused_against_history as (

    {{ line_status_against_history('statused', dedup_keys, cutoff) }}

),

final as (

    select
        file_name,
        line_number,
        partition_date,
        raw_line,
        physical_line_count,
        ignored_columns,
        absent_columns,
        {% for column in columns if column != 'updated_at' -%}
            {{ column }}_text,
        {% endfor -%}
        updated_at,
        reject_reason,
        line_status,
        -- The dbt run that wrote the line's partition (see base_tracking__event_lines).
        '{{ invocation_id }}' as dbt_invocation_id
    from statused_against_history

)

select * from final
