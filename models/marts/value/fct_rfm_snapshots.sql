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
        classified.*,
        classes.rfm_class
    from classified
    inner join classes
        on classified.is_recent = classes.is_recent
            and classified.is_high_frequency = classes.is_high_frequency
            and classified.is_high_monetary = classes.is_high_monetary

),

prospects as (

    -- Persons seen by the end of the period without a paid order up to then.
    select
        persons.one_id,
        periods.period_end as snapshot_date
    from persons
    inner join periods on persons.first_seen_at < periods.period_end_at
    left join measures
        on persons.one_id = measures.one_id
            and periods.period_end = measures.snapshot_date
    where measures.one_id is null

),

unioned as (

    select
        one_id,
        snapshot_date,
        rfm_class,
        recency_days,
        frequency,
        monetary,
        r_score,
        f_score,
        m_score,
        is_recent,
        is_high_frequency,
        is_high_monetary
    from buyers
    union all
    select
        one_id,
        snapshot_date,
        'prospect' as rfm_class,
        null as recency_days,
        0 as frequency,
        0 as monetary,
        null as r_score,
        null as f_score,
        null as m_score,
        null as is_recent,
        null as is_high_frequency,
        null as is_high_monetary
    from prospects

),

final as (

    select
        unioned.one_id,
        unioned.snapshot_date,
        unioned.rfm_class,
        classes.name_zh as rfm_class_name_zh,
        classes.name_en as rfm_class_name_en,
        cast(unioned.recency_days as bigint) as recency_days,
        cast(unioned.frequency as bigint) as frequency,
        cast(unioned.monetary as decimal(18, 2)) as monetary,
        cast(unioned.r_score as integer) as r_score,
        cast(unioned.f_score as integer) as f_score,
        cast(unioned.m_score as integer) as m_score,
        cast(unioned.is_recent as boolean) as is_recent,
        cast(unioned.is_high_frequency as boolean) as is_high_frequency,
        cast(unioned.is_high_monetary as boolean) as is_high_monetary
    from unioned
    inner join classes on unioned.rfm_class = classes.rfm_class

)

select * from final
