-- One row per data test and asset it checks (generic tests: the asset they are attached to;
-- singular tests: every asset they read), from dbt's `graph`. Unit tests are not listed: they
-- run on fixtures, not on the built data.
{%- set columns = [('check_id', 'string'), ('asset_id', 'string'), ('check_name', 'string'),
                   ('severity', 'string')] %}
{%- set rows = [] %}
{%- if execute %}
    {%- for check in graph.nodes.values()
        if check.resource_type == 'test' and check.package_name == project_name %}
        {%- for asset_id in inventory_checked_assets(check) %}
            {%- set severity = (check.config.severity or 'error') | lower %}
            {%- do rows.append([check.unique_id, asset_id, check.name, severity]) %}
        {%- endfor %}
    {%- endfor %}
{%- endif %}

{{ inline_table(columns, rows) }}
