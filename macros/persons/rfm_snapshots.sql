{#- The persons fct_rfm_snapshots holds rows of up to its held snapshot, as its pre-hook
    delete_persons_missing_from() reads them (a subquery of one_id): the persons first seen before
    the held snapshot's end. None, so that the hook deletes everyone and the run rebuilds the
    table whole, when the table's snapshots are not exactly the periods up to the held one (another
    as-of date or period grain, an earlier first period), or when its prospect rows read otherwise
    than the rfm_classes seed's prospect class now does (renamed, added or removed). Buyer rows
    need no such rule: the run compares them in every column. -#}
{% macro rfm_held_persons() -%}
    (
        select assigned.one_id
        from {{ ref('int_identity_persons_assigned') }} as assigned
        inner join {{ ref('int_periods') }} as held_period
            on assigned.first_seen_at < held_period.period_end_at
        where
            held_period.period_end = {{ held_period_end() }}
            and not exists (
                select 1
                from (
                    select distinct held_rows.snapshot_date
                    from {{ this }} as held_rows
                ) as held_snapshots
                full outer join (
                    select held_periods.period_end
                    from {{ ref('int_periods') }} as held_periods
                    where held_periods.period_end <= {{ held_period_end() }}
                ) as periods_held
                    on held_snapshots.snapshot_date = periods_held.period_end
                where held_snapshots.snapshot_date is null or periods_held.period_end is null
            )
            and not exists (
                select 1
                from (
                    select held_rows.rfm_class_name_zh, held_rows.rfm_class_name_en
                    from {{ this }} as held_rows
                    where held_rows.rfm_class = 'prospect'
                    limit 1
                ) as held_prospect
                full outer join (
                    select seed.name_zh, seed.name_en
                    from {{ ref('rfm_classes') }} as seed
                    where seed.rfm_class = 'prospect'
                ) as seed_prospect
                    on true
                where
                    held_prospect.rfm_class_name_zh is distinct from seed_prospect.name_zh
                    or held_prospect.rfm_class_name_en is distinct from seed_prospect.name_en
            )
    )
{%- endmacro %}
