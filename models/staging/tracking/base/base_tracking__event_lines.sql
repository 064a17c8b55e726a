{{ config(on_schema_change='append_new_columns', **partition_incremental_config('partition_date')) }}
{#- Incremental: a daily run reads only the newest partitions (macros/incremental). -#}
{%- set cutoff = incremental_partition_cutoff() %}
{%- set dedup_keys = ['event_id'] %}
{%- set events_format = events_format() %}
{%- set closed_lists = events_format == 'contract' %}

with

raw_lines as (

    {{ event_raw_records(events_format, since=cutoff) }}

),

records as (

    -- Each line parsed once into the same columns whatever the events format
    -- (docs/event-formats.md, macros/raw/event_formats.sql).
    {{ extract_event_records(events_format, 'raw_lines') }}

),

timed as (

    select
        *,
        {{ event_time_from_json_scalar('time_kind', 'time_text') }} as event_at,
        case
            when time_kind = 'VARCHAR' then 'iso8601'
            when time_kind in ('BIGINT', 'UBIGINT') then 'epoch_ms'
        end as time_format
    from records

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
            -- An adapter format's own rules: a record type it does not know, a record naming no one.
            when record_problem is not null then record_problem
            when coalesce(event_id_kind, '') != 'VARCHAR' or coalesce(event_id, '') = ''
                then 'missing_event_id'
            when coalesce(event_kind, '') != 'VARCHAR' then 'missing_event'
            -- The contract's lists are closed; an adapter format's unmapped name, library or
            -- property is kept (docs/event-formats.md).
            when
                {{ closed_lists }} and event_name not in ({{ quoted_list(var('event_names')) }})
                then 'unknown_event'
            when event_at is null and time_format = 'epoch_ms' then 'implausible_time'
            when event_at is null then 'bad_time'
            when
                {{ is_implausible_time('event_at') }}
                or {{ is_implausible_time('received_at') }}
                or event_at
                > {{ dbt.dateadd('hour', var('future_tolerance_hours'), 'received_at') }}
                then 'implausible_time'
            when
                {{ closed_lists }}
                and (channel is null or channel not in ({{ quoted_list(var('event_channels')) }}))
                then 'unknown_channel'
            when {{ closed_lists }} and not has_known_identities then 'unknown_identity_type'
            when {{ closed_lists }} and not has_known_properties then 'unknown_property'
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
        -- A CSV record of the table format may span lines; every other record is one line.
        physical_line_count,
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
        record_kind,
        case when line_status = 'accepted' then identities_json end as identities_json,
        case when line_status = 'accepted' then properties_json end as properties_json,
        case
            when line_status = 'accepted' then unlisted_identity_keys
        end as unlisted_identity_keys,
        reject_reason,
        line_status,
        -- The dbt run that wrote the line's partition: the reconciliation test re-reads the raw
        -- files of the partitions written by its own run (tests/singular).
        '{{ invocation_id }}' as dbt_invocation_id
    from statused_against_history

)

select * from final
