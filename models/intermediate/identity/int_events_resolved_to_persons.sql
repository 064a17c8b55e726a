{{
    config(
        materialized=incremental_materialization(),
        incremental_strategy='logged_delete_insert',
        unique_key='event_id',
        on_schema_change='fail',
        pre_hook=[
            "{{ record_partition_writes(none) }}",
            "{{ record_person_writes(run_state=erased_nodes_fingerprint()) }}",
        ],
        post_hook="{{ delete_events_no_longer_accepted() if is_incremental() }}",
    )
}}
-- One row per accepted event with the person it belongs to: the person of its highest-priority
-- identifier (an account outranks the shared tablet it was used on). Events that carry an
-- erased identifier are left out; events with no identifier of any person keep a null one_id.
--
-- Incremental: a run resolves the events of the partitions from its cutoff (macros/incremental),
-- or from the oldest partition staging rewrote since its last run. In an older partition an
-- event's resolving identifier never changes (identifier types have a fixed priority and a
-- blocked identifier stays blocked), only that identifier's person can, when persons merge or
-- split: the run writes such an event's held row again with the new person. It resolves the
-- older events it does not hold (released from an erasure) in the partitions whose counts say
-- one is missing, unless the erased identifiers are those of its last run (then none can be).
-- The post-hook deletes events that were erased or left staging. Every run logs
-- the persons whose events it wrote, moved or deleted, for the person models
-- (macros/incremental/person_writes.sql).
-- Changing the identity_blocklist or identifier_type_priority seeds needs `--full-refresh`.
{#- From the oldest partition staging rewrote since this model's last run (its events or their
    identifiers), as their write logs say: those partitions' events may have changed, left or
    arrived. Every partition when staging was rebuilt whole: the table is then rewritten whole,
    so rebuild this model with --full-refresh together with staging. #}
{%- set cutoff = incremental_partition_cutoff() %}
{%- set erasures_unchanged = cutoff and erasures_unchanged_since_last_run() %}
{#- Where erased identifiers are looked for: every partition, or from the cutoff on when they are
    those of the last run (erasures_unchanged_since_last_run()). #}
{%- set erased_from = cutoff if erasures_unchanged else none %}
{%- if cutoff %}
    {%- set older -%} partition_date < cast('{{ cutoff }}' as date) {%- endset %}
    {%- set unheld_partition -%}
        partition_date in (select unheld_partitions.partition_date from unheld_partitions)
    {%- endset %}
{%- endif %}

with

persons as (

    select * from {{ ref('int_identity_persons_assigned') }}

),

erased_nodes as (

    select * from {{ ref('int_identity_erased_nodes') }}

),

events_with_erased_identifiers as (

    -- Every record of the event stream carrying an erased identifier: left out. (Binds and
    -- profile updates have identifiers too but are no events: counted below only as events.)
    -- Only from the cutoff on when the erased identifiers are those of the last run: the older
    -- events the table holds carry none.
    select distinct
        event_identifiers.event_id,
        event_identifiers.partition_date
    from {{ ref('stg_tracking__event_identifiers') }} as event_identifiers
    inner join erased_nodes on event_identifiers.identifier_key = erased_nodes.identifier_key
    where
        event_identifiers.identifier_status = 'valid'
        and {{ from_partition_cutoff(erased_from, 'event_identifiers.partition_date') }}

),

{% if cutoff %}
moved_events as (

    -- Older events whose resolving identifier now belongs to another person. An identifier that
    -- belongs to no person was erased: the post-hook deletes its events.
    select
        held.event_id,
        persons.one_id
    from {{ this }} as held
    inner join persons on held.resolved_identifier_key = persons.identifier_key
    where held.{{ older }} and persons.one_id != held.one_id

),

moved_rows as (

    -- Their held rows with the new person (read whole only for them), but for those erased.
    select
        held.* replace (
            moved_events.one_id as one_id,
            '{{ invocation_id }}' as dbt_invocation_id
        )
    from {{ this }} as held
    inner join moved_events on held.event_id = moved_events.event_id
    where
        held.event_id not in (
            select events_with_erased_identifiers.event_id from events_with_erased_identifiers
        )

),

{% if not erasures_unchanged %}
partition_counts as (

    -- Per older partition (staging did not rewrite it since this model's last run): the events
    -- staging accepted, those the table holds, and the accepted events left out as erased (held
    -- ones counted once). Each table is read once.
    select
        staged.partition_date,
        staged.accepted_events,
        coalesce(held.held_events, 0) as held_events,
        staged.erased_events - coalesce(held.erased_events, 0) as left_out_events
    from (
        select
            accepted.partition_date,
            count(*) as accepted_events,
            count(erased.event_id) as erased_events
        from {{ ref('stg_tracking__events') }} as accepted
        left join events_with_erased_identifiers as erased
            on accepted.event_id = erased.event_id and accepted.partition_date = erased.partition_date
        where accepted.{{ older }}
        group by accepted.partition_date
    ) as staged
    left join (
        select
            held.partition_date,
            count(*) as held_events,
            count(erased.event_id) as erased_events
        from {{ this }} as held
        left join events_with_erased_identifiers as erased
            on held.event_id = erased.event_id and held.partition_date = erased.partition_date
        where held.{{ older }}
        group by held.partition_date
    ) as held on staged.partition_date = held.partition_date

),

unheld_partitions as (

    -- The older partitions where an accepted event is neither held nor left out: an erasure
    -- was withdrawn, or a split released an identifier from an erased person.
    select partition_date
    from partition_counts
    where accepted_events != held_events + left_out_events

),

unheld_events as (

    -- Their accepted events the table does not hold (those still erased are left out below).
    select accepted.event_id
    from {{ ref('stg_tracking__events') }} as accepted
    where
        accepted.{{ older }}
        and accepted.{{ unheld_partition }}
        and accepted.event_id not in (
            select held.event_id from {{ this }} as held
            where held.{{ older }} and held.{{ unheld_partition }}
        )

),

{% endif %}
{% endif %}
events as (

    select * from {{ ref('stg_tracking__events') }}
    where {{ from_partition_cutoff(cutoff) }}
    {%- if cutoff and not erasures_unchanged %}

    union all

    select * from {{ ref('stg_tracking__events') }}
    where
        {{ older }}
        and {{ unheld_partition }}
        and event_id in (select unheld_events.event_id from unheld_events)
    {%- endif %}

),

event_identifiers as (

    select * from {{ ref('stg_tracking__event_identifiers') }}
    where identifier_status = 'valid' and {{ from_partition_cutoff(cutoff) }}
    {%- if cutoff and not erasures_unchanged %}

    union all

    select * from {{ ref('stg_tracking__event_identifiers') }}
    where
        identifier_status = 'valid'
        and {{ older }}
        and {{ unheld_partition }}
        and event_id in (select unheld_events.event_id from unheld_events)
    {%- endif %}

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
{%- if cutoff %}

union all by name

-- (No event is in both: a moved event is held in an older partition, which staging did not
-- rewrite since the last run, so its accepted copy is there too, not from the cutoff on.)
select * from moved_rows
{%- endif %}
