{{ config(materialized=run_history_materialization()) }}

-- One row per data asset (source, seed, model, snapshot, exposure): the inventory. A view, so
-- that it reads the run history as soon as a run ends (the on-run-end hook lands it).
with

profile as (

    select * from {{ ref('int_data_asset_profile') }}

),

scores as (

    select * from {{ ref('int_data_asset_scores') }}

)

select
    profile.unique_id,
    profile.asset_name,
    profile.resource_type,
    profile.layer,
    profile.domain,
    profile.owner,
    profile.asset_category,
    profile.sensitivity,
    profile.is_pii,
    profile.declared_tier,
    profile.tags,
    profile.description,
    profile.is_documented,
    profile.file_path,
    profile.materialization,
    profile.relation_name,
    profile.column_count,
    profile.documented_column_count,
    profile.data_test_count,
    profile.tests_passed,
    profile.tests_warned,
    profile.tests_failed,
    profile.tests_not_run,
    profile.row_count,
    profile.upstream_count,
    profile.downstream_count,
    profile.downstream_reach,
    profile.direct_exposure_count,
    profile.exposures_served,
    profile.exposure_type,
    profile.exposure_maturity,
    profile.has_source_on_path,
    profile.has_staging_on_path,
    profile.has_mart_on_path,
    profile.has_exposure_on_path,
    profile.persons_reached,
    profile.gmv_reached,
    profile.last_run_status,
    profile.last_run_at,
    profile.last_successful_build_at,
    profile.last_execution_seconds,
    profile.latest_data_at,
    profile.freshness_lag_hours,
    profile.freshness_warn_after_hours,
    profile.freshness_error_after_hours,
    profile.freshness_status,
    scores.connectivity_score,
    scores.flow_score,
    scores.contribution_score,
    scores.value_score,
    scores.value_tier
from profile
inner join scores on profile.unique_id = scores.unique_id
