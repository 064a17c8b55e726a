-- One row per data asset of the project (source, seed, model, snapshot, exposure) with its business
-- attributes, read from dbt's `graph` context variable when the model runs, so the table always
-- describes the project as it was built. Lineage is in int_data_asset_lineage, tests in
-- int_data_asset_checks.
{%- set columns = [
    ('unique_id', 'string'), ('asset_name', 'string'), ('resource_type', 'string'),
    ('layer', 'string'), ('domain', 'string'), ('owner', 'string'), ('asset_category', 'string'),
    ('sensitivity', 'string'), ('declared_tier', 'integer'), ('tags', 'string'),
    ('description', 'string'), ('file_path', 'string'), ('materialization', 'string'),
    ('relation_name', 'string'), ('documented_column_count', 'integer'), ('exposure_type', 'string'),
    ('exposure_maturity', 'string'), ('exposure_url', 'string'),
    ('freshness_warn_after_hours', 'double'), ('freshness_error_after_hours', 'double')
] %}
{%- set rows = [] %}
{%- if execute %}
    {%- set assets = inventory_assets() %}
    {%- for asset in assets %}
        {%- set meta = asset_meta(asset) %}
        {%- set is_source = asset.resource_type == 'source' %}
        {%- set freshness = (asset.get('freshness') or {}) if is_source else {} %}
        {%- do rows.append([
            asset.unique_id,
            asset.source_name ~ '.' ~ asset.name if asset.resource_type == 'source' else asset.name,
            asset.resource_type,
            asset_layer(asset),
            meta.get('domain'),
            meta.get('owner'),
            meta.get('asset_category'),
            meta.get('sensitivity'),
            meta.get('tier'),
            (asset.tags or []) | sort | join(','),
            (asset.description or '') | trim,
            asset.original_file_path,
            (asset.config or {}).get('materialized'),
            asset.get('relation_name'),
            (asset.columns or {}) | length,
            asset.type if asset.resource_type == 'exposure' else none,
            asset.maturity if asset.resource_type == 'exposure' else none,
            asset.url if asset.resource_type == 'exposure' else none,
            freshness_hours(freshness.get('warn_after')),
            freshness_hours(freshness.get('error_after')),
        ]) %}
    {%- endfor %}
{%- endif %}

{{ inline_table(columns, rows) }}
