{{ config(materialized=run_history_materialization()) }}

-- One row per data asset with its connectivity, flow and contribution scores (0-100) and value
-- tier, as of the latest run. Each score is the weighted mean of its components (each 0-1), with
-- the weights in seeds/inventory/data_asset_score_weights.csv (docs/inventory.md).
-- The on-run-end hook appends these rows to the history `fct_data_asset_scores` reads.
{%- set tiers = var('data_asset_value_tiers') %}
with

profile as (

    select * from {{ ref('int_data_asset_profile') }}

),

weights as (

    select * from {{ ref('data_asset_score_weights') }}

),

anchor as (

    select
        max(persons_reached) as persons,
        max(gmv_reached) as gmv
    from profile
    where resource_type = 'model' and asset_name = '{{ var("inventory_person_anchor") }}'

),

project as (

    select
        max(upstream_count + downstream_count) as max_degree,
        max(downstream_reach) as max_reach,
        max(direct_exposure_count) as max_direct_exposures,
        sum(case when resource_type = 'exposure' then 1 else 0 end) as exposures
    from profile

),

components as (

    select
        profile.unique_id,
        coalesce(
            ln(1 + profile.upstream_count + profile.downstream_count)
            / nullif(ln(1 + project.max_degree), 0),
            0
        )
            as degree_component,
        coalesce(1.0 * profile.downstream_reach / nullif(project.max_reach, 0), 0)
            as reach_component,
        case
            when profile.resource_type = 'exposure' then 1.0
            else coalesce(
                    1.0 * profile.direct_exposure_count / nullif(project.max_direct_exposures, 0), 0
                )
        end as exposure_component,
        case
            when profile.freshness_status = 'no_sla' then 1.0
            when profile.latest_data_at is null then 0.0
            when
                profile.freshness_lag_hours <= coalesce(profile.freshness_warn_after_hours, 0)
                then 1.0
            when profile.freshness_error_after_hours is null then 0.0
            when profile.freshness_lag_hours >= profile.freshness_error_after_hours then 0.0
            else 1.0 - (profile.freshness_lag_hours - profile.freshness_warn_after_hours)
                / (profile.freshness_error_after_hours - profile.freshness_warn_after_hours)
        end as freshness_component,
        case when profile.last_run_status = 'success' then 1.0 else 0.0 end as build_component,
        coalesce(
            (profile.tests_passed + 0.5 * profile.tests_warned)
            / nullif(
                profile.tests_passed
                + profile.tests_warned
                + profile.tests_failed
                + profile.tests_not_run,
                0
            ),
            0
        ) as test_component,
        (
            case when profile.has_source_on_path then 1 else 0 end
            + case when profile.has_staging_on_path then 1 else 0 end
            + case when profile.has_mart_on_path then 1 else 0 end
            + case when profile.has_exposure_on_path then 1 else 0 end
        ) / 4.0 as loop_component,
        coalesce(least(1.0 * profile.persons_reached / nullif(anchor.persons, 0), 1.0), 0)
            as person_component,
        coalesce(least(profile.gmv_reached / nullif(anchor.gmv, 0), 1.0), 0) as gmv_component,
        coalesce(1.0 * profile.exposures_served / nullif(project.exposures, 0), 0)
            as exposures_fed_component
    from profile
    cross join project
    cross join anchor

),

-- Long form: one row per asset and component, so that a weight of 0 (or a missing row) drops a
-- component without touching the SQL.
component_values as (

    {%- set component_names = ['degree', 'reach', 'exposure', 'freshness', 'build', 'test', 'loop',
                               'person', 'gmv', 'exposures_fed'] %}
    {%- set seed_names = {'test': 'tests', 'person': 'persons'} %}
    {%- for name in component_names %}
        select
            unique_id,
            '{{ seed_names.get(name, name) }}' as component,
            {{ name }}_component as component_value
        from components
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

scores as (

    select
        component_values.unique_id,
        weights.score,
        100
        * sum(weights.weight * component_values.component_value)
        / sum(weights.weight) as score_value
    from component_values
    inner join weights on component_values.component = weights.component
    where weights.weight > 0
    group by component_values.unique_id, weights.score

),

pivoted as (

    select
        unique_id,
        max(case when score = 'connectivity' then score_value end) as connectivity_score,
        max(case when score = 'flow' then score_value end) as flow_score,
        max(case when score = 'contribution' then score_value end) as contribution_score
    from scores
    group by unique_id

),

final as (

    select
        profile.unique_id,
        profile.asset_name,
        profile.resource_type,
        profile.layer,
        profile.domain,
        profile.owner,
        profile.declared_tier,
        components.degree_component,
        components.reach_component,
        components.exposure_component,
        components.freshness_component,
        components.build_component,
        components.test_component,
        components.loop_component,
        components.person_component,
        components.gmv_component,
        components.exposures_fed_component,
        round(pivoted.connectivity_score, 2) as connectivity_score,
        round(pivoted.flow_score, 2) as flow_score,
        round(pivoted.contribution_score, 2) as contribution_score,
        round((pivoted.connectivity_score + pivoted.flow_score + pivoted.contribution_score) / 3, 2)
            as value_score
    from profile
    inner join components on profile.unique_id = components.unique_id
    left join pivoted on profile.unique_id = pivoted.unique_id

)

select
    *,
    case
        when value_score >= {{ tiers.high }} then 'high'
        when value_score >= {{ tiers.medium }} then 'medium'
        else 'low'
    end as value_tier
from final
