with

order_lines as (

    select * from {{ ref('base_oms__order_lines') }}
    where line_status = 'accepted'

),

renamed as (

    select
        -- ids
        order_id,
        account_id,

        -- strings
        order_status,
        channel,
        coalesce(currency, 'CNY') as currency,
        file_name as source_file_name,

        -- numerics
        order_amount,
        coalesce(discount_amount, 0) as discount_amount,
        coalesce({{ json_array_length('items_json', '$') }}, 0) as item_count,
        line_number as source_line_number,

        -- booleans
        order_status in ({{ quoted_list(var('gmv_order_statuses')) }}) as is_gmv_status,
        is_latest_state,

        -- timestamps
        ordered_at,
        updated_at,
        partition_date
    from order_lines

)

select * from renamed
