{%- set columns = var('erasure_request_columns') %}

with

raw_lines as (

    {{ raw_lines('privacy', 'erasure_requests') }}

),

csv_rows as (

    {{ csv_lines('raw_lines', columns, var('erasure_request_required_columns')) }}

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
        nullif(trim({{ csv_field('fields', 1) }}), '') as request_id,
        nullif(trim({{ csv_field('fields', 2) }}), '') as identifier_type,
        {{ csv_field('fields', 3) }} as identifier_raw_value,
        {{ parse_local_timestamp(
            "nullif(trim(" ~ csv_field('fields', 4) ~ "), '')", var('crm_time_zone')
        ) }} as requested_at
    from csv_rows

),

classified as (

    select
        *,
        case
            when csv_reject_reason is not null then csv_reject_reason
            when request_id is null then 'missing_request_id'
            when identifier_type is null
                or identifier_type not in ({{ quoted_list(var('addressable_identifier_types')) }})
                then 'unknown_identifier_type'
            when requested_at is null then 'bad_time'
        end as reject_reason
    from extracted

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
        request_id,
        identifier_type,
        identifier_raw_value,
        requested_at,
        reject_reason,
        -- A request filed twice is one request.
        {{ line_status(dedup_keys=['request_id']) }} as line_status
    from classified

)

select * from final
