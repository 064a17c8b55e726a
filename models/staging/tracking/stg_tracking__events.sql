with

event_lines as (

    select * from {{ ref('base_tracking__event_lines') }}
    where line_status = 'accepted'

),

renamed as (

    select
        -- ids
        event_id,
        app_id,
        distinct_id,
        {{ json_text('raw_line', '$.properties.product_id') }} as product_id,
        {{ json_text('raw_line', '$.properties.order_id') }} as order_id,
        {{ json_text('raw_line', '$.properties.campaign_id') }} as campaign_id,
        {{ json_text('raw_line', '$.properties.coupon_id') }} as coupon_id,

        -- strings
        event_name,
        channel,
        time_format,
        {{ json_text('raw_line', '$.properties.category') }} as category,
        {{ json_text('raw_line', '$.properties.currency') }} as currency,
        {{ json_text('raw_line', '$.properties.search_term') }} as search_term,
        {{ json_text('raw_line', '$.properties.page') }} as page,
        {{ json_text('raw_line', '$.properties.referrer') }} as referrer,
        {{ json_text('raw_line', '$.properties.utm_source') }} as utm_source,
        {{ json_text('raw_line', '$.properties.utm_medium') }} as utm_medium,
        {{ json_text('raw_line', '$.properties.utm_campaign') }} as utm_campaign,
        file_name as source_file_name,

        -- numerics
        {{ json_amount('raw_line', '$.properties.price') }} as price_amount,
        {{ json_amount('raw_line', '$.properties.amount') }} as order_amount,
        try_cast({{ json_text('raw_line', '$.properties.quantity') }} as integer) as quantity,
        line_number as source_line_number,

        -- timestamps
        event_at,
        received_at,
        cast(event_at as date) as event_date,
        partition_date
    from event_lines

)

select * from renamed
