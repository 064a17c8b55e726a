with

order_lines as (

    {{ order_latest_lines() }}

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
