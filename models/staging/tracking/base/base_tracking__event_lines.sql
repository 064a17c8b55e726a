with

raw_lines as (

    {{ raw_lines('tracking', 'events', required=true) }}

),

parsed as (

    select
        file_name,
        line_number,
        partition_date,
        raw_line,
        case when {{ json_is_valid('raw_line') }} then raw_line end as doc
    from raw_lines

),

extracted as (

    select
        -- lineage
        file_name,
        line_number,
        partition_date,
        raw_line,
        doc,

        -- ids
        {{ json_text('doc', '$.event_id') }} as event_id,
        {{ json_text('doc', '$.app_id') }} as app_id,
        {{ json_text('doc', '$.distinct_id') }} as distinct_id,

        -- strings
        {{ json_kind('doc') }} as doc_kind,
        {{ json_kind('doc', '$.event_id') }} as event_id_kind,
        {{ json_kind('doc', '$.event') }} as event_kind,
        {{ json_text('doc', '$.event') }} as event_name,
        {{ json_text('doc', '$.channel') }} as channel,
        case
            when {{ json_kind('doc', '$.time') }} = 'VARCHAR' then 'iso8601'
            when {{ json_kind('doc', '$.time') }} in ('BIGINT', 'UBIGINT') then 'epoch_ms'
        end as time_format,

        -- booleans
        {{ json_keys_within('doc', '$.identities', var('identity_types')) }}
            as has_known_identities,
        {{ json_keys_within('doc', '$.properties', var('event_properties')) }}
            as has_known_properties,
        {{ json_amount_is_valid('doc', '$.properties.amount') }}
        and {{ json_amount_is_valid('doc', '$.properties.price') }} as has_valid_amounts,

        -- timestamps
        {{ json_event_time('doc', '$.time') }} as event_at,
        {{ parse_utc_timestamp(json_text('doc', '$.received_at')) }} as received_at
    from parsed

),

classified as (

    -- The first failing rule names the line's reason, in the order of the contract checker.
    select
        *,
        case
            when doc is null then 'malformed_json'
            when doc_kind != 'OBJECT' then 'not_an_object'
            when coalesce(event_id_kind, '') != 'VARCHAR' or event_id = '' then 'missing_event_id'
            when coalesce(event_kind, '') != 'VARCHAR' then 'missing_event'
            when event_name not in ({{ quoted_list(var('event_names')) }}) then 'unknown_event'
            when event_at is null and time_format = 'epoch_ms' then 'implausible_time'
            when event_at is null then 'bad_time'
            when event_at < cast('{{ var("earliest_plausible_time") }}' as timestamp)
                or event_at > {{ dbt.dateadd(
                    'hour',
                    var('future_tolerance_hours'),
                    'coalesce(received_at, cast(' ~ dbt.dateadd('day', 1, 'partition_date') ~ ' as timestamp))'
                ) }}
                then 'implausible_time'
            when channel is null or channel not in ({{ quoted_list(var('event_channels')) }})
                then 'unknown_channel'
            when not has_known_identities then 'unknown_identity_type'
            when not has_known_properties then 'unknown_property'
            when not has_valid_amounts then 'bad_amount'
        end as reject_reason
    from extracted

),

final as (

    select
        file_name,
        line_number,
        partition_date,
        raw_line,
        event_id,
        event_name,
        channel,
        app_id,
        distinct_id,
        time_format,
        event_at,
        received_at,
        reject_reason,
        -- SDK retries resend an event: the copy received first is kept.
        {{ line_status(
            dedup_keys=['event_id'],
            order_by=['received_at nulls last', 'file_name', 'line_number']
        ) }} as line_status
    from classified

)

select * from final
