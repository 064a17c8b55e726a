with

latest_states as (

    select
        source_file_name,
        source_line_number
    from {{ ref('stg_oms__order_updates') }}
    where is_latest_state

),

order_lines as (

    -- The raw fields of each order's latest line (chosen in stg_oms__order_updates).
    select base_lines.*
    from {{ ref('base_oms__order_lines') }} as base_lines
    inner join latest_states
        on base_lines.file_name = latest_states.source_file_name
            and base_lines.line_number = latest_states.source_line_number

),

latest_lines as (

    -- Identifiers as the order's latest line states them, like the rest of its state.
    select
        order_id,
        ordered_at,
        account_id,
        receiver_phone
    from order_lines

),

unpivoted as (

    select
        order_id,
        ordered_at,
        'account_id' as identifier_type,
        account_id as raw_value
    from latest_lines
    where account_id is not null

    union all

    select
        order_id,
        ordered_at,
        'phone' as identifier_type,
        receiver_phone as raw_value
    from latest_lines
    where receiver_phone is not null

),

normalized as (

    {{ normalize_identifiers('unpivoted', ['order_id', 'ordered_at']) }}

)

select * from normalized
