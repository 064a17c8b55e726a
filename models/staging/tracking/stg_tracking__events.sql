{{ config(on_schema_change='fail', **partition_incremental_config('partition_date')) }}
{#- Incremental like base_tracking__event_lines: only the partitions from the cutoff are rebuilt. -#}
{%- set cutoff = incremental_partition_cutoff() %}

with

event_lines as (

    select * from {{ ref('base_tracking__event_lines') }}
    where
        line_status = 'accepted'
        -- Behaviour only: binds, unbinds and profile updates are stg_tracking__profile_records
        -- (rows written before record_kind existed are events).
        and coalesce(record_kind, 'event') = 'event'
        and {{ from_partition_cutoff(cutoff) }}

),

with_properties as (

    select
        event_lines.*,
        {{ json_to_text_columns('properties_json', var('event_properties')) }}
    from event_lines

),

renamed as (

    select
        -- ids (apps send what they have: a phone or an e-mail becomes its salted key)
        event_id,
        app_id,
        {{ pii_safe_identifier('distinct_id') }} as distinct_id,
        {{ pii_safe_identifier('product_id') }} as product_id,
        order_id,
        {{ pii_safe_identifier('campaign_id') }} as campaign_id,
        {{ pii_safe_identifier('coupon_id') }} as coupon_id,

        -- strings
        event_name,
        channel,
        time_format,
        {{ mask_pii('category') }} as category,
        currency,
        -- What users type or paste can hold a phone or an e-mail: masked before it leaves staging.
        {{ mask_pii('search_term') }} as search_term,
        {{ mask_pii('page') }} as page,
        {{ mask_pii('referrer') }} as referrer,
        {{ mask_pii('utm_source') }} as utm_source,
        {{ mask_pii('utm_medium') }} as utm_medium,
        {{ mask_pii('utm_campaign') }} as utm_campaign,
        file_name as source_file_name,

        -- numerics (amounts were validated in base_tracking__event_lines)
        try_cast(price as decimal(18, 2)) as price_amount,
        try_cast(amount as decimal(18, 2)) as order_amount,
        try_cast(quantity as integer) as quantity,
        line_number as source_line_number,

        -- timestamps
        event_at,
        received_at,
        cast(event_at as date) as event_date,
        partition_date
    from with_properties

)

select * from renamed
