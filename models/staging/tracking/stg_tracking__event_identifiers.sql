{{ config(on_schema_change='fail', **partition_incremental_config('partition_date')) }}
{#- Incremental like base_tracking__event_lines: only the partitions from the cutoff are rebuilt. -#}
{%- set cutoff = incremental_partition_cutoff() %}

with

event_lines as (

    select * from {{ ref('base_tracking__event_lines') }}
    where
        line_status = 'accepted'
        and identities_json is not null
        and {{ from_partition_cutoff(cutoff) }}

),

with_identities as (

    select
        event_id,
        event_at,
        partition_date,
        app_id,
        {{ json_to_text_columns('identities_json', var('identity_types')) }}
    from event_lines

),

unpivoted as (

    {{ unpivot_columns(
        'with_identities',
        keep_columns=['event_id', 'event_at', 'partition_date', 'app_id'],
        columns=var('identity_types'),
        name_column='identifier_type',
        value_column='raw_value'
    ) }}

),

normalized as (

    {{ normalize_identifiers(
        'unpivoted', ['event_id', 'event_at', 'partition_date'], app_id_column='app_id'
    ) }}

)

select * from normalized
