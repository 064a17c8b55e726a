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

    -- Items as the order's latest line lists them (a status change may repeat or amend them).
    select
        order_id,
        items_json
    from order_lines

),

items as (

    select
        latest_lines.order_id,
        item.item_number,
        item.item_doc
    from latest_lines,
        {{ json_array_elements('items_json', '$') }} as item (item_number, item_doc)

),

renamed as (

    select
        -- ids
        order_id || '-' || cast(item_number as {{ dbt.type_string() }}) as order_item_id,
        order_id,
        {{ json_text('item_doc', '$.product_id') }} as product_id,

        -- strings
        {{ json_text('item_doc', '$.category') }} as category,

        -- numerics
        item_number,
        {{ json_amount('item_doc', '$.price') }} as price_amount,
        coalesce(try_cast({{ json_text('item_doc', '$.quantity') }} as integer), 1) as quantity
    from items

)

select * from renamed
