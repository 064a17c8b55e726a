{{ config(post_hook="{{ drop_connected_components_scratch(this) }}") }}

-- One row per identifier node with its component: the connected components of the graph of
-- accepted (not quarantined) edges, computed by the iterative connected_components macro.
{%- set labels = connected_components(
    this,
    nodes_sql='select node_id from ' ~ ref('int_identity_nodes'),
    edges_sql='select node_a, node_b from ' ~ ref('int_identity_edges_guarded')
        ~ ' where quarantine_reason is null'
) %}

with

labels as (

    select * from {{ labels }}

),

final as (

    select
        node_id,
        label as component_id
    from labels

)

select * from final
