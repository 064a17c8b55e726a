-- One row per source with a freshness SLA: when its newest data landed (the source's
-- `loaded_at_field`; on DuckDB read from the `dt=` folder names of the landed files, which costs
-- nothing, instead of scanning every raw line).
{%- set columns = [('unique_id', 'string'), ('latest_loaded_at', 'timestamp')] %}
{%- set measured = [] %}
{%- if execute %}
    {%- for source in graph.sources.values()
        if source.package_name == project_name and source.loaded_at_field %}
        {%- do measured.append(source) %}
    {%- endfor %}
{%- endif %}

{%- if measured %}
    {%- for source in measured %}
        select
            '{{ source.unique_id }}' as unique_id,
            cast(({{ source_latest_loaded_at(source) }}) as timestamp) as latest_loaded_at
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
{%- else %}
    {{ inline_table(columns, []) }}
{%- endif %}
