{{ config(materialized=run_history_materialization()) }}

-- One row per data asset: its business attributes and lineage (from the graph, as built) joined
-- with its run health and measures (from the run history, as of the latest run) and the freshness
-- of the sources it depends on. The inputs of the scores and of `dim_data_assets`.
with

assets as (

    select * from {{ ref('int_data_assets') }}

),

lineage as (

    select * from {{ ref('int_data_asset_lineage') }}

),

checks as (

    select * from {{ ref('int_data_asset_checks') }}

),

run_health as (

    select * from {{ ref('int_data_asset_run_health') }}

),

source_freshness as (

    select * from {{ ref('int_data_asset_source_freshness') }}

),

reference_time as (

    -- Freshness is measured against the clock, or (default) the newest data of any source.
    select
        {% if var('inventory_reference_time', none) == 'clock' -%}
            cast({{ dbt.current_timestamp() }} as timestamp)
        {%- else -%}
            max(latest_loaded_at)
        {%- endif %} as reference_at
    from source_freshness

),

direct_links as (

    select
        lineage.asset_id,
        lineage.descendant_id,
        children.resource_type as child_type
    from lineage
    inner join assets as children on lineage.descendant_id = children.unique_id
    where lineage.depth = 1

),

downstream_links as (

    select
        asset_id as unique_id,
        count(*) as downstream_count,
        sum(case when child_type = 'exposure' then 1 else 0 end) as direct_exposure_count
    from direct_links
    group by asset_id

),

upstream_links as (

    select
        descendant_id as unique_id,
        count(*) as upstream_count
    from direct_links
    group by descendant_id

),

check_counts as (

    select
        asset_id as unique_id,
        count(distinct check_id) as data_test_count
    from checks
    group by asset_id

),

-- Every asset with itself, its ancestors and its descendants: the path its data travels.
path as (

    select
        asset_id,
        descendant_id as related_id,
        'descendant' as path_role,
        depth as distance
    from lineage
    union all
    select
        descendant_id as asset_id,
        asset_id as related_id,
        'ancestor' as path_role,
        depth as distance
    from lineage
    union all
    select
        unique_id as asset_id,
        unique_id as related_id,
        'self' as path_role,
        0 as distance
    from assets

),

path_with_assets as (

    select
        path.asset_id,
        path.path_role,
        path.distance,
        related.unique_id as related_id,
        related.layer as related_layer,
        related.resource_type as related_type,
        related_health.last_run_status as related_status,
        related_health.person_count as related_persons,
        related_health.gmv as related_gmv
    from path
    inner join assets as related on path.related_id = related.unique_id
    left join run_health as related_health on path.related_id = related_health.unique_id

),

path_summary as (

    select
        asset_id,
        cast(sum(case when path_role = 'descendant' then 1 else 0 end) as integer)
            as downstream_reach,
        cast(
            sum(
                case when path_role <> 'ancestor' and related_type = 'exposure' then 1 else 0 end
            ) as integer
        )
            as exposures_served,
        max(case when related_layer = 'source' then 1 else 0 end) = 1 as has_source_on_path,
        max(case when related_layer = 'staging' then 1 else 0 end) = 1 as has_staging_on_path,
        max(case when related_layer = 'marts' then 1 else 0 end) = 1 as has_mart_on_path,
        max(case when related_layer = 'exposure' then 1 else 0 end) = 1 as has_exposure_on_path,
        max(case when path_role <> 'ancestor' then related_persons end) as persons_downstream,
        max(case when path_role <> 'ancestor' then related_gmv end) as gmv_downstream,
        max(case when path_role = 'self' then related_persons end) as own_persons,
        max(case when path_role = 'self' then related_gmv end) as own_gmv
    from path_with_assets
    group by asset_id

),

-- An asset without the person (or GMV) column itself, such as an aggregate, a source or an
-- exposure, is about the persons (GMV) of the nearest tables upstream that have it.
measured_ancestors as (

    select
        asset_id,
        distance,
        related_persons,
        related_gmv,
        min(case when related_persons is not null then distance end)
            over (partition by asset_id)
            as persons_distance,
        min(case when related_gmv is not null then distance end)
            over (partition by asset_id)
            as gmv_distance
    from path_with_assets
    where path_role = 'ancestor'

),

nearest_ancestors as (

    select
        asset_id,
        max(case when distance = persons_distance then related_persons end) as persons_upstream,
        max(case when distance = gmv_distance then related_gmv end) as gmv_upstream
    from measured_ancestors
    group by asset_id

),

-- Sources are read, not built, and exposures are built by BI tools: their health is that of the
-- models next to them (the models reading the source, the models the exposure reads).
neighbours as (

    select
        lineage.asset_id as unique_id,
        lineage.descendant_id as neighbour_id
    from lineage
    inner join assets on lineage.asset_id = assets.unique_id
    where assets.resource_type = 'source' and lineage.depth = 1
    union all
    select
        lineage.descendant_id as unique_id,
        lineage.asset_id as neighbour_id
    from lineage
    inner join assets on lineage.descendant_id = assets.unique_id
    where assets.resource_type = 'exposure' and lineage.depth = 1

),

neighbour_health as (

    select
        neighbours.unique_id,
        min(case when neighbour_health.last_run_status = 'success' then 1 else 0 end)
        = 1 as all_built,
        cast(sum(neighbour_health.tests_passed) as integer) as tests_passed,
        cast(sum(neighbour_health.tests_warned) as integer) as tests_warned,
        cast(sum(neighbour_health.tests_failed) as integer) as tests_failed,
        cast(sum(neighbour_health.tests_not_run) as integer) as tests_not_run,
        max(neighbour_health.last_run_at) as last_run_at
    from neighbours
    left join run_health as neighbour_health on neighbours.neighbour_id = neighbour_health.unique_id
    group by neighbours.unique_id

),

source_lags as (

    select
        assets.unique_id,
        source_freshness.latest_loaded_at,
        assets.freshness_warn_after_hours,
        assets.freshness_error_after_hours,
        -- A double on both engines (Spark would divide by 3600.0 as a decimal).
        greatest(
            cast({{ dbt.datediff(
                'source_freshness.latest_loaded_at', 'reference_time.reference_at', 'second'
            ) }} as double) / 3600,
            0
        ) as lag_hours
    from assets
    inner join source_freshness on assets.unique_id = source_freshness.unique_id
    cross join reference_time
    where assets.freshness_error_after_hours is not null
        or assets.freshness_warn_after_hours is not null

),

-- The stalest source an asset depends on (itself, for a source): the one closest to, or furthest
-- past, its error threshold. A source that never landed counts as infinitely late.
upstream_lags as (

    select
        path.asset_id as unique_id,
        source_lags.latest_loaded_at,
        source_lags.lag_hours,
        source_lags.freshness_warn_after_hours,
        source_lags.freshness_error_after_hours,
        row_number() over (
            partition by path.asset_id
            order by
                case when source_lags.latest_loaded_at is null then 1 else 0 end desc,
                source_lags.lag_hours
                / coalesce(
                    source_lags.freshness_error_after_hours, source_lags.freshness_warn_after_hours
                ) desc,
                source_lags.unique_id
        ) as staleness_rank
    from path
    inner join source_lags on path.related_id = source_lags.unique_id
    where path.path_role in ('self', 'ancestor')

),

stalest_upstream as (

    select * from upstream_lags
    where staleness_rank = 1

)

select
    assets.unique_id,
    assets.asset_name,
    assets.resource_type,
    assets.layer,
    assets.domain,
    assets.owner,
    assets.asset_category,
    assets.sensitivity,
    assets.sensitivity = 'pii' as is_pii,
    assets.declared_tier,
    assets.tags,
    assets.description,
    assets.description <> '' as is_documented,
    assets.file_path,
    assets.materialization,
    assets.relation_name,
    run_health.column_count,
    assets.documented_column_count,
    cast(coalesce(check_counts.data_test_count, 0) as integer) as data_test_count,
    coalesce(run_health.tests_passed, neighbour_health.tests_passed, 0) as tests_passed,
    coalesce(run_health.tests_warned, neighbour_health.tests_warned, 0) as tests_warned,
    coalesce(run_health.tests_failed, neighbour_health.tests_failed, 0) as tests_failed,
    coalesce(run_health.tests_not_run, neighbour_health.tests_not_run, 0) as tests_not_run,
    run_health.row_count,
    cast(coalesce(upstream_links.upstream_count, 0) as integer) as upstream_count,
    cast(coalesce(downstream_links.downstream_count, 0) as integer) as downstream_count,
    path_summary.downstream_reach,
    cast(coalesce(downstream_links.direct_exposure_count, 0) as integer) as direct_exposure_count,
    path_summary.exposures_served,
    assets.exposure_type,
    assets.exposure_maturity,
    path_summary.has_source_on_path,
    path_summary.has_staging_on_path,
    path_summary.has_mart_on_path,
    path_summary.has_exposure_on_path,
    case
        when path_summary.own_persons is not null then path_summary.persons_downstream
        else greatest(
                coalesce(path_summary.persons_downstream, 0),
                coalesce(nearest_ancestors.persons_upstream, 0)
            )
    end as persons_reached,
    case
        when path_summary.own_gmv is not null then path_summary.gmv_downstream
        else greatest(
                coalesce(path_summary.gmv_downstream, 0),
                coalesce(nearest_ancestors.gmv_upstream, 0)
            )
    end as gmv_reached,
    case
        when assets.resource_type in ('source', 'exposure')
            then
                case when neighbour_health.all_built then 'success' else 'not_built' end
        else coalesce(run_health.last_run_status, 'never_run')
    end as last_run_status,
    coalesce(run_health.last_run_at, neighbour_health.last_run_at) as last_run_at,
    run_health.last_successful_build_at,
    run_health.last_execution_seconds,
    stalest_upstream.latest_loaded_at as latest_data_at,
    stalest_upstream.lag_hours as freshness_lag_hours,
    stalest_upstream.freshness_warn_after_hours,
    stalest_upstream.freshness_error_after_hours,
    case
        when stalest_upstream.unique_id is null then 'no_sla'
        when stalest_upstream.latest_loaded_at is null then 'error'
        when stalest_upstream.lag_hours >= stalest_upstream.freshness_error_after_hours then 'error'
        when stalest_upstream.lag_hours >= stalest_upstream.freshness_warn_after_hours then 'warn'
        else 'fresh'
    end as freshness_status
from assets
left join run_health on assets.unique_id = run_health.unique_id
left join neighbour_health on assets.unique_id = neighbour_health.unique_id
left join path_summary on assets.unique_id = path_summary.asset_id
left join nearest_ancestors on assets.unique_id = nearest_ancestors.asset_id
left join upstream_links on assets.unique_id = upstream_links.unique_id
left join downstream_links on assets.unique_id = downstream_links.unique_id
left join check_counts on assets.unique_id = check_counts.unique_id
left join stalest_upstream on assets.unique_id = stalest_upstream.unique_id
