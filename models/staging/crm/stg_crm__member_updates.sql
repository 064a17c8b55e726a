{{ config(on_schema_change='fail', **partition_incremental_config('partition_date')) }}
{#- Incremental like base_crm__member_lines: only the partitions from the cutoff are rebuilt (each
    row follows from one accepted line; the member's current state is chosen downstream). -#}
{%- set cutoff = incremental_partition_cutoff() %}

with

member_lines as (

    select * from {{ ref('base_crm__member_lines') }}
    where line_status = 'accepted' and {{ from_partition_cutoff(cutoff) }}

),

renamed as (

    select
        -- ids
        member_id_text as member_id,
        -- An account that is a phone or an e-mail leaves staging as its salted key.
        {{ pii_safe_identifier('account_id_text') }} as account_id,

        -- strings
        case
            when lower(gender_text) in ('m', 'male', '男', '1') then 'male'
            when lower(gender_text) in ('f', 'female', '女', '2') then 'female'
            else 'unknown'
        end as gender,
        {{ mask_pii('city_text') }} as city,
        member_level_text as member_level,
        file_name as source_file_name,

        -- numerics
        line_number as source_line_number,

        -- booleans
        case
            when lower(marketing_consent_text) in ('true', 't', '1', 'yes', 'y', '是') then true
            when lower(marketing_consent_text) in ('false', 'f', '0', 'no', 'n', '否') then false
        end as has_marketing_consent,

        -- dates and timestamps
        try_cast(birth_date_text as date) as birth_date,
        {{ parse_local_timestamp('registered_at_text', var('crm_time_zone')) }} as registered_at,
        updated_at,
        partition_date
    from member_lines

)

select * from renamed
