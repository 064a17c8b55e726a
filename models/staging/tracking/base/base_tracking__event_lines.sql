{{
    config(
        materialized=incremental_materialization(),
        incremental_strategy='delete+insert',
        unique_key='partition_date',
        on_schema_change='fail',
    )
}}
{#- Incremental: a daily run reads only the newest partitions (macros/incremental). -#}
{%- set cutoff = incremental_partition_cutoff() %}
{%- set dedup_keys = ['event_id'] %}
{%- set event_fields = [
    'event_id', 'event', 'time', 'received_at', 'channel', 'app_id', 'distinct_id', 'identities',
    'properties'
] %}

with

raw_lines as (

    {{ raw_lines('tracking', 'events', required=true, since=cutoff) }}

),

parsed as (

    select
        file_name,
        line_number,
        partition_date,
        raw_line,
        read_problem,
        {{ json_is_valid('raw_line') }} as is_valid_json
    from raw_lines

),

fragments as (

    -- The line is parsed once into its top-level fields, kept as small JSON fragments; the rules
    -- below read those instead of parsing the whole line again for every check.
    select
        file_name,
        line_number,
        partition_date,
        raw_line,
        read_problem,
        is_valid_json,
        case when is_valid_json then {{ json_kind('raw_line') }} end as doc_kind,
        case
            when is_valid_json then {{ json_struct('raw_line', event_fields, as_json=true) }}
        end as top_level_fields
    from parsed

),

unpacked as (

    select
        file_name,
        line_number,
        partition_date,
        raw_line,
        read_problem,
        is_valid_json,
        doc_kind,
        {% for field in event_fields -%}
            {{ struct_field('top_level_fields', field) }} as {{ field }}_json
            {%- if not loop.last %},{% endif %}
        {% endfor %}
    from fragments

),

extracted as (

    select
        -- lineage
        file_name,
        line_number,
        partition_date,
        raw_line,
        read_problem,
        is_valid_json,
        doc_kind,
        identities_json,
        properties_json,

        -- ids
        {{ json_text('event_id_json', '$') }} as event_id,
        {{ json_text('app_id_json', '$') }} as app_id,
        {{ json_text('distinct_id_json', '$') }} as distinct_id,

        -- strings
        {{ json_kind('event_id_json') }} as event_id_kind,
        {{ json_kind('event_json') }} as event_kind,
        {{ json_text('event_json', '$') }} as event_name,
        {{ json_text('channel_json', '$') }} as channel,
        {{ json_kind('time_json') }} as time_kind,
        {{ json_text('time_json', '$') }} as time_text,

        -- booleans
        {{ json_keys_within('identities_json', '$', var('identity_types')) }}
            as has_known_identities,
        {{ json_keys_within('properties_json', '$', var('event_properties')) }}
            as has_known_properties,
        {{ json_amount_is_valid('properties_json', '$.amount') }}
        and {{ json_amount_is_valid('properties_json', '$.price') }} as has_valid_amounts,

        -- timestamps
        {{ parse_timestamp_default_utc(json_text('received_at_json', '$')) }} as received_at
    from unpacked

),

timed as (

    select
        *,
        {{ event_time_from_json_scalar('time_kind', 'time_text') }} as event_at,
        case
            when time_kind = 'VARCHAR' then 'iso8601'
            when time_kind in ('BIGINT', 'UBIGINT') then 'epoch_ms'
        end as time_format
    from extracted

),

classified as (

    -- The first failing rule names the line's reason, in the order of the contract checker.
    select
        *,
        case
            -- A line or file the reader could not read (macros/raw/raw_lines.sql).
            when read_problem is not null then read_problem
            when not is_valid_json then 'malformed_json'
            when doc_kind != 'OBJECT' then 'not_an_object'
            when coalesce(event_id_kind, '') != 'VARCHAR' or event_id = '' then 'missing_event_id'
            when coalesce(event_kind, '') != 'VARCHAR' then 'missing_event'
            when event_name not in ({{ quoted_list(var('event_names')) }}) then 'unknown_event'
            when event_at is null and time_format = 'epoch_ms' then 'implausible_time'
            when event_at is null then 'bad_time'
            when
                {{ is_implausible_time('event_at') }}
                or {{ is_implausible_time('received_at') }}
                or event_at
                > {{ dbt.dateadd('hour', var('future_tolerance_hours'), 'received_at') }}
                then 'implausible_time'
            when channel is null or channel not in ({{ quoted_list(var('event_channels')) }})
                then 'unknown_channel'
            when not has_known_identities then 'unknown_identity_type'
            when not has_known_properties then 'unknown_property'
            when not has_valid_amounts then 'bad_amount'
        end as reject_reason
    from timed

),

statused as (

    select
        *,
        -- SDK retries resend an event: the copy that landed first is kept, whatever it holds.
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
        -- An accepted line lives on as its parsed fields; the raw text (with its raw PII) is
        -- kept only for the lines that did not make it, for the rejects and for audit.
        case when line_status != 'accepted' then raw_line end as raw_line,
        event_id,
        event_name,
        channel,
        app_id,
        distinct_id,
        time_format,
        event_at,
        received_at,
        case when line_status = 'accepted' then identities_json end as identities_json,
        case when line_status = 'accepted' then properties_json end as properties_json,
        reject_reason,
        line_status,
        -- The dbt run that wrote the line's partition: the reconciliation test re-reads the raw
        -- files of the partitions written by its own run (tests/singular).
        '{{ invocation_id }}' as dbt_invocation_id
    from statused_against_history

)

select * from final
