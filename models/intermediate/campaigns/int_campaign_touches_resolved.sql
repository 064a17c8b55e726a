-- One row per accepted campaign touch with the person it reached, or why it reached nobody:
-- `resolved`, `erased` (the identifier's person asked to be erased: no person is kept),
-- `unknown_identifier` (no person has it), `placeholder` or `invalid` (no usable identifier).
with

touches as (

    select * from {{ ref('stg_marketing__campaign_touches') }}

),

persons as (

    select * from {{ ref('int_identity_persons_assigned') }}

),

erased_nodes as (

    select * from {{ ref('int_identity_erased_nodes') }}

),

final as (

    select
        touches.touch_id,
        touches.campaign_id,
        case when erased_nodes.identifier_key is null then persons.one_id end as one_id,
        touches.campaign_arm,
        touches.touch_channel,
        touches.identifier_type,
        case
            when touches.identifier_status != 'valid' then touches.identifier_status
            when erased_nodes.identifier_key is not null then 'erased'
            when persons.one_id is null then 'unknown_identifier'
            else 'resolved'
        end as resolution_status,
        coalesce(touches.cost_amount, 0) as cost_amount,
        touches.sent_at,
        touches.sent_date
    from touches
    left join persons on touches.identifier_key = persons.identifier_key
    left join erased_nodes on touches.identifier_key = erased_nodes.identifier_key

)

select * from final
