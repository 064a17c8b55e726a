{{ config(on_schema_change='fail', **partition_incremental_config('partition_date')) }}
{#- Incremental: a daily run reads only the newest partitions (macros/incremental). An order's
    current state spans partitions, so it is chosen downstream (stg_oms__order_updates). -#}
{%- set cutoff = incremental_partition_cutoff() %}
{%- set dedup_keys = ['order_id', 'order_status', 'updated_at'] %}
{%- set order_fields = [
    'order_id', 'account_id', 'status', 'order_time', 'updated_at', 'channel', 'amount',
    'discount_amount', 'currency', 'items', 'receiver_phone'
] %}

with

raw_lines as (

    {{ raw_lines('oms', 'orders', since=cutoff) }}

),

parsed as (

    select
        file_name,
        line_number,
        partition_date,
        raw_line,
        read_problem,
        {{ json_is_valid('raw_line') }} as is_valid_json
    from raw_lines

),

fragments as (

    -- Parsed once into its top-level fields (see base_tracking__event_lines).
    select
        file_name,
        line_number,
        partition_date,
        raw_line,
        read_problem,
        is_valid_json,
        case when is_valid_json then {{ json_kind('raw_line') }} end as doc_kind,
        case
            when is_valid_json then {{ json_struct('raw_line', order_fields, as_json=true) }}
        end as top_level_fields
    from parsed

),

unpacked as (

    select
        file_name,
        line_number,
        partition_date,
        raw_line,
        read_problem,
        is_valid_json,
        doc_kind,
        {% for field in order_fields -%}
            {{ struct_field('top_level_fields', field) }} as {{ field }}_json
            {%- if not loop.last %},{% endif %}
        {% endfor %}
    from fragments

),

extracted as (

    select
        file_name,
        line_number,
        partition_date,
        raw_line,
        read_problem,
        is_valid_json,
        doc_kind,
        items_json,
        nullif({{ json_text('order_id_json', '$') }}, '') as order_id,
        nullif(trim({{ json_text('account_id_json', '$') }}), '') as account_id,
        {{ json_text('status_json', '$') }} as order_status,
        {{ json_text('channel_json', '$') }} as channel,
        {{ json_text('currency_json', '$') }} as currency,
        {{ json_text('receiver_phone_json', '$') }} as receiver_phone,
        {{ json_text('order_time_json', '$') }} as order_time_text,
        {{ json_text('updated_at_json', '$') }} as updated_at_text,
        amount_json is not null
        and {{ json_amount_is_valid('amount_json', '$') }} as has_valid_amount,
        {{ json_amount_is_valid('discount_amount_json', '$') }} as has_valid_discount,
        {{ json_amount('amount_json', '$') }} as order_amount,
        {{ json_amount('discount_amount_json', '$') }} as discount_amount,
        {{ json_event_time('order_time_json', '$') }} as ordered_at,
        {{ json_event_time('updated_at_json', '$') }} as updated_at
    from unpacked

),

classified as (

    -- The first failing rule names the line's reason, in the order of the contract checker.
    select
        *,
        case
            -- A line or file the reader could not read (macros/raw/raw_lines.sql).
            when read_problem is not null then read_problem
            when not is_valid_json then 'malformed_json'
            when doc_kind != 'OBJECT' then 'not_an_object'
            when order_id is null then 'missing_order_id'
            when order_status is null then 'missing_status'
            when order_time_text is null then 'missing_order_time'
            when updated_at_text is null then 'missing_updated_at'
            when order_status not in ({{ quoted_list(var('order_statuses')) }})
                then 'unknown_status'
            when not has_valid_amount or not has_valid_discount then 'bad_amount'
            when ordered_at is null or updated_at is null then 'bad_time'
            when {{ is_implausible_time('ordered_at') }} or {{ is_implausible_time('updated_at') }}
                then 'implausible_time'
        end as reject_reason
    from extracted

),

statused as (

    select
        *,
        -- Every status change is a new line; the same change landed twice is a duplicate.
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
        -- Raw text (it may hold a receiver phone) only for the lines that did not make it.
        case when line_status != 'accepted' then raw_line end as raw_line,
        order_id,
        account_id,
        order_status,
        channel,
        currency,
        order_amount,
        discount_amount,
        case when line_status = 'accepted' then items_json end as items_json,
        case when line_status = 'accepted' then receiver_phone end as receiver_phone,
        ordered_at,
        updated_at,
        reject_reason,
        line_status,
        -- The dbt run that wrote the line's partition: the reconciliation test re-reads the raw
        -- files of the partitions written by its own run (tests/singular).
        '{{ invocation_id }}' as dbt_invocation_id
    from statused_against_history

)

select * from final
