{{
    config(
        materialized=incremental_materialization(),
        incremental_strategy='logged_delete_insert',
        unique_key='event_id',
        on_schema_change='fail',
        pre_hook=["{{ record_partition_writes(none) }}", "{{ record_person_writes() }}"],
        post_hook="{{ delete_events_no_longer_accepted() if is_incremental() }}",
    )
}}
-- One row per accepted event with the person it belongs to: the person of its highest-priority
-- identifier (an account outranks the shared tablet it was used on). Events that carry an
-- erased identifier are left out; events with no identifier of any person keep a null one_id.
--
-- Incremental: an event's resolving identifier never changes (identifier types have a fixed
-- priority and a blocked identifier stays blocked), only that identifier's person can, when
-- persons merge or split. A run resolves the events of the partitions from the cutoff
-- (macros/incremental), re-resolves older events whose identifier now belongs to another
-- person or to none, and resolves older events it does not hold (no longer erased); the
-- post-hook deletes events that were erased or left staging. Every run logs the persons whose
-- events it wrote, moved or deleted, for the person models (macros/incremental/person_writes.sql).
-- Changing the identity_blocklist or identifier_type_priority seeds needs `--full-refresh`.
{%- set cutoff = incremental_partition_cutoff() %}
{%- set to_resolve -%}
    {%- if cutoff -%}
        (
            partition_date >= cast('{{ cutoff }}' as date)
            or event_id in (select reassigned_events.event_id from reassigned_events)
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endset %}

with

persons as (

    select * from {{ ref('int_identity_persons_assigned') }}

),

erased_nodes as (

    select * from {{ ref('int_identity_erased_nodes') }}

),

{% if cutoff %}
reassigned_events as (

    -- Older events whose resolving identifier's person changed since they were written.
    select previous.event_id
    from {{ this }} as previous
    left join persons on previous.resolved_identifier_key = persons.identifier_key
    where
        previous.partition_date < cast('{{ cutoff }}' as date)
        and previous.resolved_identifier_key is not null
        and (persons.one_id is null or persons.one_id != previous.one_id)

    union all

    -- Older accepted events the table does not hold: left out while one of their identifiers
    -- was erased, back now that it no longer is (a split released it from the erased person).
    -- Those still erased are left out again below.
    select accepted.event_id
    from {{ ref('stg_tracking__events') }} as accepted
    where
        accepted.partition_date < cast('{{ cutoff }}' as date)
        and accepted.event_id not in (select held.event_id from {{ this }} as held)

),

{% endif %}
events as (

    select * from {{ ref('stg_tracking__events') }}
    where {{ to_resolve }}

),

event_identifiers as (

    select * from {{ ref('stg_tracking__event_identifiers') }}
    where identifier_status = 'valid' and {{ to_resolve }}

),

events_with_erased_identifiers as (

    select distinct event_identifiers.event_id
    from event_identifiers
    inner join erased_nodes on event_identifiers.identifier_key = erased_nodes.identifier_key

),

ranked_identifiers as (

    select
        event_identifiers.event_id,
        persons.one_id,
        persons.identifier_key,
        persons.identifier_type,
        row_number() over (
            partition by event_identifiers.event_id
            order by persons.type_priority, persons.identifier_key
        ) as identifier_rank
    from event_identifiers
    inner join persons on event_identifiers.identifier_key = persons.identifier_key

),

best_identifier as (

    select
        event_id,
        one_id,
        identifier_key as resolved_identifier_key,
        identifier_type as resolved_via
    from ranked_identifiers
    where identifier_rank = 1

),

final as (

    select
        events.event_id,
        best_identifier.one_id,
        best_identifier.resolved_via,
        best_identifier.resolved_identifier_key,
        events.app_id,
        events.distinct_id,
        events.product_id,
        events.order_id,
        events.campaign_id,
        events.coupon_id,
        events.event_name,
        events.channel,
        events.category,
        events.currency,
        events.search_term,
        events.page,
        events.referrer,
        events.utm_source,
        events.utm_medium,
        events.utm_campaign,
        events.price_amount,
        events.order_amount,
        events.quantity,
        events.event_at,
        events.received_at,
        events.event_date,
        events.partition_date,
        '{{ invocation_id }}' as dbt_invocation_id
    from events
    left join best_identifier on events.event_id = best_identifier.event_id
    where
        events.event_id not in (
            select events_with_erased_identifiers.event_id from events_with_erased_identifiers
        )

)

select * from final
