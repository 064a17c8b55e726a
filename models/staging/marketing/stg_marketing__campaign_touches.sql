{{ config(on_schema_change='fail', **partition_incremental_config('partition_date')) }}
{#- Incremental like base_marketing__campaign_touch_lines: only the partitions from the cutoff are
    rebuilt (each row follows from one accepted line). -#}
{%- set cutoff = incremental_partition_cutoff() %}

with

touch_lines as (

    select * from {{ ref('base_marketing__campaign_touch_lines') }}
    where line_status = 'accepted' and {{ from_partition_cutoff(cutoff) }}

),

touches as (

    select
        touch_id,
        campaign_id,
        channel,
        arm,
        sent_at,
        partition_date,
        file_name,
        line_number,
        identifier_type,
        identifier_raw_value as raw_value,
        -- An openid is named as `<app_id>/<openid>`, or bare: then it belongs to the app that
        -- sent the touch (the official account, for WeChat template messages).
        coalesce(
            {{ json_text('raw_line', '$.app_id') }},
            case when channel = 'wechat_template' then '{{ var("wechat_template_app_id") }}' end
        ) as app_id,
        coalesce({{ json_amount('raw_line', '$.cost') }}, 0) as cost_amount
    from touch_lines

),

normalized as (

    {{ normalize_identifiers(
        'touches',
        ['touch_id', 'campaign_id', 'channel', 'arm', 'cost_amount', 'sent_at', 'partition_date',
         'file_name', 'line_number'],
        app_id_column='app_id'
    ) }}

),

renamed as (

    select
        -- ids
        touch_id,
        campaign_id,
        identifier_key,
        identifier_value,

        -- strings
        channel as touch_channel,
        arm as campaign_arm,
        identifier_type,
        identifier_status,
        file_name as source_file_name,

        -- numerics
        cost_amount,
        line_number as source_line_number,

        -- timestamps
        sent_at,
        cast(sent_at as date) as sent_date,
        partition_date
    from normalized

)

select * from renamed
