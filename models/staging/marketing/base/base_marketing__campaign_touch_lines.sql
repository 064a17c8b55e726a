{{ config(on_schema_change='fail', **partition_incremental_config('partition_date')) }}
{#- Incremental: a daily run reads only the newest partitions (macros/incremental). -#}
{%- set cutoff = incremental_partition_cutoff() %}
{%- set dedup_keys = ['touch_id'] %}

with

raw_lines as (

    {{ raw_lines('marketing', 'campaign_touches', since=cutoff) }}

),

parsed as (

    select
        file_name,
        line_number,
        partition_date,
        raw_line,
        read_problem,
        case when {{ json_is_valid('raw_line') }} then raw_line end as doc
    from raw_lines

),

extracted as (

    select
        file_name,
        line_number,
        partition_date,
        raw_line,
        read_problem,
        doc,
        {{ json_kind('doc') }} as doc_kind,
        nullif({{ json_text('doc', '$.touch_id') }}, '') as touch_id,
        nullif({{ json_text('doc', '$.campaign_id') }}, '') as campaign_id,
        {{ json_text('doc', '$.channel') }} as channel,
        {{ json_text('doc', '$.identifier_type') }} as identifier_type,
        {{ json_text('doc', '$.identifier_value') }} as identifier_raw_value,
        {{ json_text('doc', '$.arm') }} as arm,
        {{ json_text('doc', '$.sent_at') }} as sent_at_text,
        {{ json_amount_is_valid('doc', '$.cost') }} as has_valid_cost,
        {{ json_event_time('doc', '$.sent_at') }} as sent_at
    from parsed

),

classified as (

    -- The first failing rule names the line's reason, in the order of the contract checker.
    select
        *,
        case
            -- A line or file the reader could not read (macros/raw/raw_lines.sql).
            when read_problem is not null then read_problem
            when doc is null then 'malformed_json'
            when doc_kind != 'OBJECT' then 'not_an_object'
            when touch_id is null then 'missing_touch_id'
            when campaign_id is null then 'missing_campaign_id'
            when identifier_type is null then 'missing_identifier_type'
            when identifier_raw_value is null then 'missing_identifier_value'
            when arm is null then 'missing_arm'
            when sent_at_text is null then 'missing_sent_at'
            when channel is null or channel not in ({{ quoted_list(var('touch_channels')) }})
                then 'unknown_channel'
            when arm not in ({{ quoted_list(var('campaign_arms')) }}) then 'unknown_arm'
            when identifier_type not in ({{ quoted_list(var('addressable_identifier_types')) }})
                then 'unknown_identifier_type'
            when sent_at is null then 'bad_time'
            when {{ is_implausible_time('sent_at') }} then 'implausible_time'
            when not has_valid_cost then 'bad_amount'
        end as reject_reason
    from extracted

),

statused as (

    select
        *,
        -- A send recorded twice is one touch.
        {{ line_status(dedup_keys=dedup_keys) }} as status_in_run
    from classified

),

statused_against_history as (

    {{ line_status_against_history('statused', dedup_keys, cutoff) }}

),

final as (

    select
        file_name,
        line_number,
        partition_date,
        raw_line,
        touch_id,
        campaign_id,
        channel,
        arm,
        identifier_type,
        identifier_raw_value,
        sent_at,
        reject_reason,
        line_status,
        -- The dbt run that wrote the line's partition (see base_tracking__event_lines).
        '{{ invocation_id }}' as dbt_invocation_id
    from statused_against_history

)

select * from final
