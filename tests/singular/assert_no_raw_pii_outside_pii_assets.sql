{#- No phone number or e-mail address in any string column of any schema outside the assets and
    columns declared `sensitivity: pii` (macros/pii/pii_leak_scan.sql). A failure lists
    schema.table.column and how many rows (stored as this test's failures), never a value.

    dbt cannot run a test after "everything", so it depends on every leaf model: a build runs it
    once they are built (test_hardening_pii checks that this list covers every model and
    snapshot). The audit tables are scanned as the previous runs left them. -#}
-- In Dagster a check of dim_data_assets, the inventory of every asset it scans (meta.dagster.ref:
-- a test of several models needs one).
{{ config(store_failures=true, meta={'dagster': {'ref': {'name': 'dim_data_assets'}}}) }}
-- depends_on: {{ ref('bdg_identifiers_to_persons') }}
-- depends_on: {{ ref('dim_data_assets') }}
-- depends_on: {{ ref('fct_campaign_audit') }}
-- depends_on: {{ ref('fct_campaign_migrations') }}
-- depends_on: {{ ref('fct_campaign_uplift') }}
-- depends_on: {{ ref('fct_data_asset_scores') }}
-- depends_on: {{ ref('fct_funnel_daily') }}
-- depends_on: {{ ref('fct_identity_graph_health') }}
-- depends_on: {{ ref('fct_identity_merges') }}
-- depends_on: {{ ref('fct_identity_quarantined_edges') }}
-- depends_on: {{ ref('fct_person_predictions') }}
-- depends_on: {{ ref('fct_prediction_model_runs') }}
-- depends_on: {{ ref('fct_state_migration_matrix') }}
-- depends_on: {{ ref('fct_unlisted_reference_values') }}
-- depends_on: {{ ref('fct_user_asset_coverage') }}
-- depends_on: {{ ref('rpt_lifecycle_stage_summary') }}
-- depends_on: {{ ref('rpt_rfm_class_summary') }}
-- depends_on: {{ ref('stg_oms__orders') }}
-- depends_on: {{ ref('stg_crm__member_rejects') }}
-- depends_on: {{ ref('stg_marketing__campaign_touch_rejects') }}
-- depends_on: {{ ref('stg_oms__order_rejects') }}
-- depends_on: {{ ref('stg_privacy__erasure_request_rejects') }}
-- depends_on: {{ ref('stg_tracking__event_rejects') }}
-- depends_on: {{ ref('stg_tracking__profile_records') }}
{{ pii_leak_scan() }}
