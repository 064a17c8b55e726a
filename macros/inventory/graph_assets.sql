{#- The data assets of this project, read from dbt's `graph` context variable (the parsed manifest,
    as dbt-project-evaluator reads it): sources, seeds, models, snapshots and exposures. Tests are
    not assets; they are the assets' checks. Only call with `execute` true (the graph is empty
    while dbt parses). -#}
{% macro inventory_assets() -%}
    {%- set assets = [] -%}
    {%- for node in graph.sources.values() -%}
        {%- if node.package_name == project_name %}{% do assets.append(node) %}{% endif -%}
    {%- endfor -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.package_name == project_name and node.resource_type in ['seed', 'model', 'snapshot'] -%}
            {%- do assets.append(node) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for node in graph.exposures.values() -%}
        {%- if node.package_name == project_name %}{% do assets.append(node) %}{% endif -%}
    {%- endfor -%}
    {{ return(assets | sort(attribute='unique_id')) }}
{%- endmacro %}


{#- The asset's business attributes: `config.meta` (where dbt merges folder defaults from
    dbt_project.yml with the asset's own YAML), falling back to the top-level `meta`. -#}
{% macro asset_meta(node) -%}
    {%- set config_meta = (node.config or {}).get('meta') or {} -%}
    {{ return(config_meta if config_meta else (node.meta or {})) }}
{%- endmacro %}


{#- The layer an asset belongs to: its resource type, or for a model the folder under models/. -#}
{% macro asset_layer(node) -%}
    {%- if node.resource_type == 'model' -%}
        {{ return(node.fqn[1] if node.fqn | length > 2 else 'models') }}
    {%- else -%}
        {{ return(node.resource_type) }}
    {%- endif -%}
{%- endmacro %}


{#- A freshness threshold ({count, period}) in hours, or none. -#}
{% macro freshness_hours(threshold) -%}
    {%- if threshold and threshold.count and threshold.period -%}
        {%- set per = {'minute': 1 / 60, 'hour': 1, 'day': 24} -%}
        {{ return(threshold.count * per[threshold.period]) }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}


{#- A Python value as a SQL literal: none as null, booleans, numbers, else a quoted string. -#}
{% macro sql_literal(value) -%}
    {%- if value is none -%}null
    {%- elif value is sameas true -%}true
    {%- elif value is sameas false -%}false
    {%- elif value is number -%}{{ value }}
    {%- else -%}{{ string_literal(value) }}
    {%- endif -%}
{%- endmacro %}


{#- Rows (lists of Python values) as an inline table with typed, named columns; `columns` is a
    list of (name, type). An empty list gives an empty table of the same shape. -#}
{% macro inline_table(columns, rows) -%}
    {{ return(adapter.dispatch('inline_table', 'user_asset_warehouse')(columns, rows)) }}
{%- endmacro %}

{% macro default__inline_table(columns, rows) -%}
    select
        {%- for name, type in columns %}
        cast({{ name }} as {{ type }}) as {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from (
        values
        {%- if rows %}
            {%- for row in rows %}
            ({% for value in row %}{{ sql_literal(value) }}{{ ', ' if not loop.last }}{% endfor %}){{ ',' if not loop.last }}
            {%- endfor %}
        {%- else %}
            ({% for _ in columns %}null{{ ', ' if not loop.last }}{% endfor %})
        {%- endif %}
    ) as inline_rows ({% for name, _ in columns %}{{ name }}{{ ', ' if not loop.last }}{% endfor %})
    {%- if not rows %}
    where false
    {%- endif %}
{%- endmacro %}


{#- The assets a data test checks: the node a generic test is attached to, or every asset a
    singular test reads. -#}
{% macro inventory_checked_assets(test_node) -%}
    {%- if test_node.get('attached_node') -%}
        {{ return([test_node.attached_node]) }}
    {%- endif -%}
    {%- set read = [] -%}
    {%- for node_id in test_node.depends_on.nodes if node_id.split('.')[0] in ['source', 'seed', 'model', 'snapshot'] -%}
        {%- do read.append(node_id) -%}
    {%- endfor -%}
    {{ return(read) }}
{%- endmacro %}


{#- A query for the newest `loaded_at_field` value of a source (what `dbt source freshness`
    measures). -#}
{% macro source_latest_loaded_at(source_node) -%}
    {{ return(adapter.dispatch('source_latest_loaded_at', 'user_asset_warehouse')(source_node)) }}
{%- endmacro %}

{% macro default__source_latest_loaded_at(source_node) -%}
    select max({{ source_node.loaded_at_field }}) from {{ source_node.relation_name }}
{%- endmacro %}

{#- The raw sources are hive-partitioned files (`.../dt=YYYY-MM-DD/...`, meta `raw_glob`): list the
    files instead of reading them. -#}
{% macro duckdb__source_latest_loaded_at(source_node) -%}
    {%- set raw_glob = asset_meta(source_node).get('raw_glob') -%}
    {%- if raw_glob and 'dt=' in raw_glob -%}
        select max(cast(regexp_extract(file, 'dt=([0-9]{4}-[0-9]{2}-[0-9]{2})', 1) as timestamp))
        from glob('{{ raw_glob }}')
    {%- else -%}
        {{ default__source_latest_loaded_at(source_node) }}
    {%- endif -%}
{%- endmacro %}

{#- Spark has no glob(): read the partition column of the source's folder (a `text` scan, whose
    `dt` column Spark discovers from the folder names). -#}
{% macro spark__source_latest_loaded_at(source_node) -%}
    {%- set raw_glob = asset_meta(source_node).get('raw_glob') -%}
    {%- if raw_glob and '/dt=' in raw_glob -%}
        select max(cast(dt as timestamp)) from text.`{{ raw_glob.split('/dt=')[0] }}`
    {%- else -%}
        {{ default__source_latest_loaded_at(source_node) }}
    {%- endif -%}
{%- endmacro %}
