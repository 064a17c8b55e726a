{{ config(materialized=run_history_materialization()) }}

-- One row per asset that has run or been tested: the outcome of its latest run and of its data
-- tests' latest runs, and what its latest successful build measured. A view over the run history
-- the on-run-end hook lands in `audit`, so it reads the current run as soon as the run ends.
with

node_results as (

    select * from {{ source('dbt_audit', 'dbt_node_results') }}

),

invocations as (

    select * from {{ source('dbt_audit', 'dbt_invocations') }}

),

checks as (

    select * from {{ ref('int_data_asset_checks') }}

),

results_in_order as (

    -- Skipped nodes have no completion time: order by the run they belong to.
    select
        node_results.*,
        row_number() over (
            partition by node_results.unique_id
            order by invocations.run_started_at desc, node_results.completed_at desc
        ) as recency,
        row_number() over (
            partition by node_results.unique_id, node_results.status
            order by invocations.run_started_at desc, node_results.completed_at desc
        ) as recency_in_status
    from node_results
    inner join invocations on node_results.invocation_id = invocations.invocation_id

),

latest_runs as (

    select
        unique_id,
        status as last_run_status,
        completed_at as last_run_at,
        execution_seconds as last_execution_seconds
    from results_in_order
    where recency = 1 and resource_type in ('model', 'seed', 'snapshot')

),

latest_successes as (

    select
        unique_id,
        completed_at as last_successful_build_at,
        row_count,
        column_count,
        person_count,
        gmv
    from results_in_order
    where recency_in_status = 1
        and status = 'success'
        and resource_type in ('model', 'seed', 'snapshot')

),

latest_check_results as (

    select
        checks.asset_id,
        checks.check_id,
        results_in_order.status
    from checks
    left join results_in_order
        on checks.check_id = results_in_order.unique_id and results_in_order.recency = 1

),

check_health as (

    select
        asset_id as unique_id,
        count(*) as data_tests,
        cast(sum(case when status = 'pass' then 1 else 0 end) as integer) as tests_passed,
        cast(sum(case when status = 'warn' then 1 else 0 end) as integer) as tests_warned,
        cast(sum(case when status in ('fail', 'error') then 1 else 0 end) as integer)
            as tests_failed,
        cast(sum(case when status is null or status = 'skipped' then 1 else 0 end) as integer)
            as tests_not_run
    from latest_check_results
    group by asset_id

),

asset_ids as (

    select unique_id from latest_runs
    union
    select unique_id from check_health

)

select
    asset_ids.unique_id,
    latest_runs.last_run_status,
    latest_runs.last_run_at,
    latest_runs.last_execution_seconds,
    latest_successes.last_successful_build_at,
    latest_successes.row_count,
    latest_successes.column_count,
    latest_successes.person_count,
    latest_successes.gmv,
    coalesce(check_health.tests_passed, 0) as tests_passed,
    coalesce(check_health.tests_warned, 0) as tests_warned,
    coalesce(check_health.tests_failed, 0) as tests_failed,
    coalesce(check_health.tests_not_run, 0) as tests_not_run
from asset_ids
left join latest_runs on asset_ids.unique_id = latest_runs.unique_id
left join latest_successes on asset_ids.unique_id = latest_successes.unique_id
left join check_health on asset_ids.unique_id = check_health.unique_id
