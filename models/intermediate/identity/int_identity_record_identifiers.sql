{{ config(materialized='view') }}
-- Every valid identifier of every accepted record that can link identifiers: events, orders
-- and CRM member changes. Placeholders and invalid values stopped in staging.
-- A view: its two readers (nodes, edges) read only the columns they need from staging, which
-- costs less than writing every identifier of every record a second time.
with

event_identifiers as (

    select * from {{ ref('stg_tracking__event_identifiers') }}
    where identifier_status = 'valid'

),

order_identifiers as (

    select * from {{ ref('stg_oms__order_identifiers') }}
    where identifier_status = 'valid'

),

member_identifiers as (

    select * from {{ ref('stg_crm__member_identifiers') }}
    where identifier_status = 'valid'

),

unioned as (

    select
        'event' as record_source,
        event_id as record_id,
        identifier_key,
        identifier_type,
        identifier_value,
        event_at as seen_at,
        partition_date
    from event_identifiers

    union all

    select
        'order' as record_source,
        order_id as record_id,
        identifier_key,
        identifier_type,
        identifier_value,
        ordered_at as seen_at,
        partition_date
    from order_identifiers

    union all

    select
        'crm' as record_source,
        member_id || '@' || cast(updated_at as {{ dbt.type_string() }}) as record_id,
        identifier_key,
        identifier_type,
        identifier_value,
        updated_at as seen_at,
        partition_date
    from member_identifiers

)

select * from unioned
