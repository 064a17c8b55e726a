with

member_updates as (

    select * from {{ ref('stg_crm__member_updates') }}

),

latest_state as (

    -- The CRM exports a member whenever they change: the latest export is their state.
    select * from member_updates
    qualify row_number() over (
            partition by member_id
            order by updated_at desc, source_file_name desc, source_line_number desc
        ) = 1

),

final as (

    select
        member_id,
        account_id,
        gender,
        city,
        member_level,
        has_marketing_consent,
        birth_date,
        registered_at,
        updated_at
    from latest_state

)

select * from final
