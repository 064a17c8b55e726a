with

order_lines as (

    {{ order_latest_lines() }}

),

latest_lines as (

    -- Identifiers as the order's latest line states them, like the rest of its state.
    select
        order_id,
        ordered_at,
        partition_date,
        account_id,
        receiver_phone
    from order_lines

),

unpivoted as (

    select
        order_id,
        ordered_at,
        partition_date,
        'account_id' as identifier_type,
        account_id as raw_value
    from latest_lines
    where account_id is not null

    union all

    select
        order_id,
        ordered_at,
        partition_date,
        'phone' as identifier_type,
        receiver_phone as raw_value
    from latest_lines
    where receiver_phone is not null

),

normalized as (

    {{ normalize_identifiers('unpivoted', ['order_id', 'ordered_at', 'partition_date']) }}

)

select * from normalized
