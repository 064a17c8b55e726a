{{ config(materialized='view') }}
-- The accepted tracking records that are not behaviour (docs/event-formats.md): identity binds
-- and unbinds, profile updates (Sensors profile_*, Segment identify and group). Their identifiers
-- are in stg_tracking__event_identifiers (an unbind's are not); here each is counted with the
-- property keys it set, never their values (a profile can hold personal data).
with

record_lines as (

    select * from {{ ref('base_tracking__event_lines') }}
    where line_status = 'accepted' and coalesce(record_kind, 'event') != 'event'

),

renamed as (

    select
        -- ids
        event_id as record_id,
        {{ pii_safe_identifier('distinct_id') }} as distinct_id,

        -- strings
        record_kind,
        event_name as record_name,
        channel,
        app_id,
        {{ json_object_keys_text('properties_json') }} as property_keys,
        file_name as source_file_name,

        -- numerics
        line_number as source_line_number,

        -- timestamps
        event_at,
        received_at,
        partition_date
    from record_lines

)

select * from renamed
