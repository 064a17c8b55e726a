with

request_lines as (

    select * from {{ ref('base_privacy__erasure_request_lines') }}
    where line_status = 'accepted'

),

requests as (

    select
        request_id,
        requested_at,
        identifier_type,
        identifier_raw_value as raw_value
    from request_lines

),

normalized as (

    -- An openid is named as `<app_id>/<openid>`.
    {{ normalize_identifiers('requests', ['request_id', 'requested_at']) }}

),

final as (

    select
        request_id,
        identifier_type,
        identifier_status,
        identifier_key,
        requested_at,
        cast(requested_at as date) as requested_date
    from normalized

)

select * from final
