with

persons as (

    select * from {{ ref('int_identity_persons_assigned') }}

),

final as (

    select
        identifier_key,
        one_id,
        identifier_type,
        identifier_value,
        is_anchor,
        first_seen_at,
        last_seen_at,
        record_count
    from persons

)

select * from final
