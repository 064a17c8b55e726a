{#- The persons fct_rfm_snapshots holds rows of up to its held snapshot, as its pre-hook
    delete_persons_missing_from() reads them (a subquery of one_id): the persons first seen before
    the held snapshot's end. None when the held snapshot is no period any more (another as-of date
    or period grain) or when the table's prospect rows read otherwise than the rfm_classes seed's
    prospect class now does: then the hook deletes everyone and the run rebuilds the table whole.
    (Buyer rows need no such rule: the run compares them in every column.) -#}
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
                    select held_rows.rfm_class_name_zh, held_rows.rfm_class_name_en
                    from {{ this }} as held_rows
                    where held_rows.rfm_class = 'prospect'
                    limit 1
                ) as held_prospect
                left join {{ ref('rfm_classes') }} as seed_prospect
                    on seed_prospect.rfm_class = 'prospect'
                where
                    held_prospect.rfm_class_name_zh is distinct from seed_prospect.name_zh
                    or held_prospect.rfm_class_name_en is distinct from seed_prospect.name_en
            )
    )
{%- endmacro %}
