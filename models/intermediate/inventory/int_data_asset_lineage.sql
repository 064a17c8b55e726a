-- One row per asset and each asset downstream of it, at any distance (`depth` 1 = a direct child),
-- from dbt's `graph`: the transitive closure the inventory's reach, exposure and contribution
-- measures are read from. Computed in Jinja (a breadth-first walk per asset) so that no engine
-- needs recursive SQL.
{%- set columns = [('asset_id', 'string'), ('descendant_id', 'string'), ('depth', 'integer')] %}
{%- set rows = [] %}
{%- if execute %}
    {%- set assets = inventory_assets() %}
    {%- set ids = assets | map(attribute='unique_id') | list %}
    {%- set children = {} %}
    {%- for asset in assets %}
        {%- for parent in (asset.depends_on or {}).get('nodes', []) if parent in ids %}
            {%- do children.setdefault(parent, []).append(asset.unique_id) %}
        {%- endfor %}
    {%- endfor %}
    {%- for asset_id in ids %}
        {%- set walk = namespace(frontier=[asset_id]) %}
        {%- set seen = {asset_id: 0} %}
        {#- The graph is a DAG: a walk ends within as many steps as there are assets. #}
        {%- for depth in range(1, ids | length + 1) if walk.frontier %}
            {%- set next_frontier = [] %}
            {%- for node_id in walk.frontier %}
                {%- for child in children.get(node_id, []) if child not in seen %}
                    {%- do seen.update({child: depth}) %}
                    {%- do next_frontier.append(child) %}
                    {%- do rows.append([asset_id, child, depth]) %}
                {%- endfor %}
            {%- endfor %}
            {%- set walk.frontier = next_frontier %}
        {%- endfor %}
    {%- endfor %}
{%- endif %}

{{ inline_table(columns, rows) }}
