-- Every source, seed, model, snapshot and exposure declares the five business attributes of the
-- inventory in `meta` (folder defaults in dbt_project.yml, overrides in YAML) with a listed value.
-- Returns one row per missing or unlisted attribute, naming the asset and its file.
-- It reads the project, no table: the dependency below makes it a check of the inventory,
-- dim_data_assets, in Dagster (a test must depend on the asset it checks).
-- depends_on: {{ ref('dim_data_assets') }}

{%- set allowed = {
    'domain': none,
    'owner': none,
    'asset_category': var('asset_categories'),
    'sensitivity': var('asset_sensitivities'),
    'tier': var('asset_tiers'),
} %}
{%- set problems = [] %}
{%- if execute %}
    {%- for asset in inventory_assets() %}
        {%- set meta = asset_meta(asset) %}
        {%- for attribute, values in allowed.items() %}
            {%- set value = meta.get(attribute) %}
            {%- if value is none or value == '' %}
                {%- do problems.append([asset.unique_id, asset.original_file_path, attribute, 'missing']) %}
            {%- elif values is not none and value not in values %}
                {%- do problems.append([asset.unique_id, asset.original_file_path, attribute,
                                        'not one of ' ~ values | join(', ') ~ ': ' ~ value]) %}
            {%- endif %}
        {%- endfor %}
    {%- endfor %}
{%- endif %}

{{ inline_table([('unique_id', 'string'), ('file_path', 'string'), ('attribute', 'string'),
                 ('problem', 'string')], problems) }}
