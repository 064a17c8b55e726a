{{ config(materialized='view') }}

with

lines as (

    select * from {{ ref('base_marketing__campaign_touch_lines') }}
    where line_status = 'rejected'

),

rejects as (

    select
        file_name,
        line_number,
        partition_date,
        reject_reason,
        raw_line
    from lines

)

select * from rejects
