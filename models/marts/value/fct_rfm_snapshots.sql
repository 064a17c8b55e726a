{{
    config(
        materialized=incremental_materialization(),
        incremental_strategy='person_periods',
        on_schema_change='fail',
        pre_hook=[
            "{{ record_person_writes() }}",
            "{{ delete_persons_missing_from(rfm_held_persons()) }}",
        ],
    )
}}
-- Buyers (a paid order by the snapshot) get their measures scored and classed within the
-- snapshot; prospects are the persons seen by the snapshot without a paid order.
--
-- Incremental, per person (macros/incremental/person_periods.sql, the period column
-- snapshot_date): a person's rows up to the held snapshot (the table's last) follow from their
-- buyer rows and their first snapshot (the first period ending after they were first seen,
-- compared with their earliest row in the table: a paid order comes after its person was first
-- seen, so no buyer row precedes it; a person for whom one did would be rebuilt on every run,
-- never missed). A run scores every
-- buyer of every snapshot (a score ranks a buyer within the whole snapshot) and rebuilds the
-- persons whose buyer rows up to the held snapshot, in any column, or first snapshot differ from
-- what the table holds (changed_persons()), adds the new snapshots' rows for everyone else, and
-- deletes, before it writes, the persons not seen by the held snapshot any more (rfm_held_persons();
-- everyone when its snapshots are not exactly the periods up to the held one, or the seed's
-- prospect class reads differently). So a day that completes no period rewrites only the persons whose buyer rows
-- changed: those whose orders or identity changed, and the few whose score or class moved with
-- their snapshot's ranks and cuts.
with

periods as (

    select * from {{ ref('int_periods') }}

),

persons as (

    select
        one_id,
        min(first_seen_at) as first_seen_at
    from {{ ref('int_identity_persons_assigned') }}
    group by 1

),

measures as (

    select * from {{ ref('int_rfm_measures') }}

),

thresholds as (

    select * from {{ ref('fct_rfm_thresholds') }}

),

classes as (

    select * from {{ ref('rfm_classes') }}

),

scored as (

    -- Scores 1-5 within the snapshot: the rank of the value from worst to best, in fifths; equal
    -- values share a score.
    select
        measures.*,
        {% for measure, worst_first in [
            ('recency', 'recency_days desc'), ('frequency', 'frequency'), ('monetary', 'monetary')
        ] -%}
            cast(1 + floor(5.0 * (rank() over (
                partition by measures.snapshot_date order by {{ worst_first }}
            ) - 1) / count(*) over (partition by measures.snapshot_date)) as integer)
                as {{ measure[0] }}_score
            {%- if not loop.last %},{% endif %}
        {% endfor %}
    from measures

),

classified as (

    select
        scored.*,
        -- High is strictly better than the snapshot's cut: more recent, more orders, more money.
        scored.recency_days < thresholds.recency_cut as is_recent,
        scored.frequency > thresholds.frequency_cut as is_high_frequency,
        scored.monetary > thresholds.monetary_cut as is_high_monetary
    from scored
    inner join thresholds on scored.snapshot_date = thresholds.snapshot_date

),

buyers as (

    select
        classified.one_id,
        classified.snapshot_date,
        classes.rfm_class,
        classes.name_zh as rfm_class_name_zh,
        classes.name_en as rfm_class_name_en,
        cast(classified.recency_days as bigint) as recency_days,
        cast(classified.frequency as bigint) as frequency,
        cast(classified.monetary as decimal(18, 2)) as monetary,
        cast(classified.r_score as integer) as r_score,
        cast(classified.f_score as integer) as f_score,
        cast(classified.m_score as integer) as m_score,
        cast(classified.is_recent as boolean) as is_recent,
        cast(classified.is_high_frequency as boolean) as is_high_frequency,
        cast(classified.is_high_monetary as boolean) as is_high_monetary
    from classified
    inner join classes
        on classified.is_recent = classes.is_recent
            and classified.is_high_frequency = classes.is_high_frequency
            and classified.is_high_monetary = classes.is_high_monetary

),

{% if is_incremental() %}
changed_persons as (

    -- Buyer rows up to the held snapshot that differ, in any column, from the table's, either way.
    {{ changed_persons(
        '(select * from buyers where snapshot_date <= ' ~ held_period_end() ~ ') as computed_buyers',
        '(select * from ' ~ this ~ " where rfm_class != 'prospect') as held_buyers",
        ['*columns(*)'],
        removed=true,
    ) }}
    union
    -- Another first snapshot: first seen in another period, a new or merged person. (The first
    -- period ending after the person was first seen: the one they were first seen in, or the
    -- first period for a person seen before it.)
    {{ changed_persons(
        '(select persons.one_id, periods.period_end as first_snapshot_date from persons'
        ~ ' inner join periods on persons.first_seen_at < periods.period_end_at and periods.period_start_at'
        ~ ' <= greatest(persons.first_seen_at, (select min(first_period.period_start_at) from periods as first_period))'
        ~ ' where periods.period_end <= ' ~ held_period_end() ~ ') as computed_first',
        '(select one_id, min(snapshot_date) as first_snapshot_date from ' ~ this
        ~ ' group by one_id) as held_first',
        ['one_id', 'first_snapshot_date'],
        removed=true,
    ) }}

),

{% endif %}
person_snapshots as (

    -- The snapshots each person was seen by: every one from the first period ending after they
    -- were first seen (on an incremental run, those of the persons it rebuilds and the new ones).
    select
        persons.one_id,
        periods.period_end as snapshot_date
    from persons
    inner join periods on persons.first_seen_at < periods.period_end_at
    where {{ rebuilt_or_new_rows('persons.one_id', 'periods.period_end') }}

),

prospects as (

    -- Persons seen by the end of the period without a paid order up to then.
    select
        person_snapshots.one_id,
        person_snapshots.snapshot_date,
        classes.rfm_class,
        classes.name_zh as rfm_class_name_zh,
        classes.name_en as rfm_class_name_en,
        cast(null as bigint) as recency_days,
        cast(0 as bigint) as frequency,
        cast(0 as decimal(18, 2)) as monetary,
        cast(null as integer) as r_score,
        cast(null as integer) as f_score,
        cast(null as integer) as m_score,
        cast(null as boolean) as is_recent,
        cast(null as boolean) as is_high_frequency,
        cast(null as boolean) as is_high_monetary
    from person_snapshots
    inner join classes on classes.rfm_class = 'prospect'
    left join measures
        on person_snapshots.one_id = measures.one_id
            and person_snapshots.snapshot_date = measures.snapshot_date
    where measures.one_id is null

),

final as (

    select * from buyers
    where {{ rebuilt_or_new_rows() }}
    union all
    select * from prospects

)

select * from final
