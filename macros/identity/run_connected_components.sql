{#- `dbt run-operation run_connected_components --args '{nodes_table: …, edges_table: …,
    result_table: …}'`: the connected_components macro on any two tables of the target schema
    (node_id; node_a, node_b), the result saved as (node_id, component_id). Used by the tests
    that prove convergence on chains and stars, and by the benchmark. -#}
{% macro run_connected_components(nodes_table, edges_table, result_table) %}
    {%- set result = api.Relation.create(
        database=target.get('database'), schema=target.schema, identifier=result_table
    ) -%}
    {%- set labels = connected_components(
        result,
        nodes_sql='select node_id from ' ~ nodes_table,
        edges_sql='select node_a, node_b from ' ~ edges_table
    ) -%}
    {%- do replace_table_as(result, 'select node_id, label as component_id from ' ~ labels) -%}
    {%- do drop_connected_components_scratch(result) -%}
    {%- do adapter.commit() -%}
{% endmacro %}
