{#-
    Connected components of an undirected graph, in SQL that converges for any diameter.

    nodes_sql: a query with a bigint `node_id` column: every node once, isolated ones and every
    edge endpoint included (the result has one row per row of nodes_sql).
    edges_sql: a query with bigint `node_a`, `node_b` columns (each edge once, either direction).

    Min-label hooking with pointer jumping (in the spirit of Shiloach-Vishkin): every round each
    node looks at the smallest label among itself and its neighbours (its reach); the node that
    is a label (the root of a tree of nodes carrying it) takes the smallest reach of its whole
    tree, so trees merge as a block; then every node jumps to the label of its label. Labels
    only decrease and stay node ids of the same component, so the loop stops as soon as labels
    agree across every edge: each node then carries the smallest node id of its component.
    Hooking whole trees and jumping keep the number of rounds near the log of the component
    size, not its diameter (tests: a 1,000-node chain).

    Before the loop the graph is contracted once: each node is mapped to its smallest neighbour
    (or itself when it has none smaller), and the loop runs on the edges between those
    representatives. Each node and its representative share a component, an edge between a node
    and its representative keeps their representatives connected, and the smallest node of a
    component represents itself, so the contracted graph has the same components and the same
    smallest ids; most components of an identity graph are small stars that this first step
    already finishes, so the loop sees a fraction of the edges (on `large`, 1.2 M of 6.6 M).

    There is no fixed depth: `max_rounds` is a safety stop that raises an error instead of
    returning wrong components. Returns a subquery of (node_id, label) over two scratch tables
    (temporary tables on DuckDB, tables beside `relation` elsewhere): the caller selects from it
    in the same model and drops them in its post-hook with drop_connected_components_scratch().
-#}
{% macro connected_components(relation, nodes_sql, edges_sql, max_rounds=200) -%}
    {{ return(adapter.dispatch('connected_components', 'user_asset_warehouse')(
        relation, nodes_sql, edges_sql, max_rounds
    )) }}
{%- endmacro %}

{% macro default__connected_components(relation, nodes_sql, edges_sql, max_rounds) -%}
    {%- set representatives = connected_components_scratch(relation, 'representatives') -%}
    {%- set edges = connected_components_scratch(relation, 'edges') -%}
    {%- set labels = connected_components_scratch(relation, 'labels') -%}
    {%- set next_labels = connected_components_scratch(relation, 'labels_next') -%}
    {#- Every node takes the component of its representative; a representative outside the
        contracted graph is the smallest node of its component. The caller's model computes
        this query into its own table, so the largest result is written once. -#}
    {%- set result_sql = '(select n.node_id, coalesce(l.label, r.representative, n.node_id) as label '
        ~ 'from (' ~ nodes_sql ~ ') as n '
        ~ 'left join ' ~ representatives ~ ' as r on n.node_id = r.node_id '
        ~ 'left join ' ~ labels ~ ' as l on coalesce(r.representative, n.node_id) = l.node_id) as components' -%}

    {%- if not is_building() -%}
        {{ return(result_sql) }}
    {%- endif -%}

    {%- set pairs = connected_components_scratch(relation, 'pairs') -%}
    {#- Every proper edge once, its smaller end first: read once from the caller's edges. -#}
    {%- do replace_scratch_table_as(pairs,
        'select least(node_a, node_b) as node_low, greatest(node_a, node_b) as node_high '
        ~ 'from (' ~ edges_sql ~ ') as e where node_a != node_b') -%}
    {#- A node's representative: its smallest neighbour when that is smaller than the node; nodes
        without a row here represent themselves. -#}
    {%- do replace_scratch_table_as(representatives,
        'select node_high as node_id, min(node_low) as representative from ' ~ pairs ~ ' group by node_high') -%}
    {#- The contracted graph: edges between different representatives, once each (node_a <
        node_b); the loop reads them in both directions. The larger end of an edge always has a
        representative (at most its other end). -#}
    {%- do replace_scratch_table_as(edges,
        'select distinct least(a, b) as node_a, greatest(a, b) as node_b from ('
        ~ '  select coalesce(rl.representative, p.node_low) as a, rh.representative as b'
        ~ '  from ' ~ pairs ~ ' as p'
        ~ '  left join ' ~ representatives ~ ' as rl on p.node_low = rl.node_id'
        ~ '  inner join ' ~ representatives ~ ' as rh on p.node_high = rh.node_id'
        ~ ') as contracted where a != b') -%}
    {%- do run_query('drop table if exists ' ~ pairs) -%}
    {%- set directed_edges = '(select node_a as src, node_b as dst from ' ~ edges
        ~ ' union all select node_b as src, node_a as dst from ' ~ edges ~ ')' -%}
    {#- Only representatives with an edge iterate; each starts from the smallest of itself and
        its neighbours. -#}
    {%- do replace_scratch_table_as(labels,
        'select src as node_id, least(src, min(dst)) as label from ' ~ directed_edges ~ ' as e group by src') -%}

    {#- The labels are final once they agree across every edge: each component then carries one
        label, and it is the smallest node id of the component (that node's label can only be
        itself). The check stops at the first edge that disagrees, so it is cheap while the loop
        still has work to do, and it saves the round that would only confirm convergence. -#}
    {%- set disagreement_sql = 'select count(*) from (select 1 from ' ~ edges ~ ' as e '
        ~ 'inner join ' ~ labels ~ ' as a on e.node_a = a.node_id '
        ~ 'inner join ' ~ labels ~ ' as b on e.node_b = b.node_id '
        ~ 'where a.label != b.label limit 1) as disagreeing' -%}
    {%- set state = namespace(
        converged=run_query(disagreement_sql).columns[0].values()[0] == 0,
        rounds=0
    ) -%}
    {%- for round in range(max_rounds) if not state.converged -%}
        {%- do replace_scratch_table_as(next_labels,
            'with neighbour_min as ('
            ~ '  select e.src as node_id, min(l.label) as label'
            ~ '  from ' ~ directed_edges ~ ' as e inner join ' ~ labels ~ ' as l on e.dst = l.node_id'
            ~ '  group by e.src'
            ~ '), node_min as ('
            ~ '  select l.node_id, l.label, least(l.label, n.label) as reach'
            ~ '  from ' ~ labels ~ ' as l inner join neighbour_min as n on l.node_id = n.node_id'
            ~ '), tree_min as ('
            ~ '  select label as node_id, min(reach) as reach from node_min group by label'
            ~ '), hooked as ('
            ~ '  select m.node_id, least(m.reach, coalesce(t.reach, m.reach)) as label'
            ~ '  from node_min as m left join tree_min as t on m.node_id = t.node_id'
            ~ ') '
            ~ 'select h.node_id, least(h.label, j.label) as label '
            ~ 'from hooked as h inner join hooked as j on h.label = j.node_id'
        ) -%}
        {%- do run_query('drop table ' ~ labels) -%}
        {%- do run_query('alter table ' ~ next_labels ~ ' rename to ' ~ labels.identifier) -%}
        {%- set state.rounds = round + 1 -%}
        {%- set state.converged = run_query(disagreement_sql).columns[0].values()[0] == 0 -%}
    {%- endfor -%}

    {%- if not state.converged -%}
        {{ exceptions.raise_compiler_error(
            "connected_components for " ~ relation ~ " did not converge in " ~ max_rounds
            ~ " rounds; raise max_rounds (the graph may be unusually deep)."
        ) }}
    {%- endif -%}
    {{ log("connected_components: " ~ relation.identifier ~ " converged in " ~ state.rounds ~ " rounds", info=true) }}
    {%- do run_query('drop table if exists ' ~ edges) -%}
    {{ return(result_sql) }}
{%- endmacro %}


{#- A scratch table of connected_components() for `relation`, named after it. On DuckDB a
    temporary table: it lives in memory on the model's connection, is never written to the
    database file, and disappears with the connection if a build dies. On other engines a table
    beside `relation`. -#}
{% macro connected_components_scratch(relation, name) -%}
    {{ return(adapter.dispatch('connected_components_scratch', 'user_asset_warehouse')(relation, name)) }}
{%- endmacro %}

{% macro default__connected_components_scratch(relation, name) -%}
    {{ return(relation.incorporate(path={'identifier': relation.identifier ~ '__cc_' ~ name})) }}
{%- endmacro %}

{% macro duckdb__connected_components_scratch(relation, name) -%}
    {{ return(api.Relation.create(identifier=relation.identifier ~ '__cc_' ~ name)) }}
{%- endmacro %}


{#- Creates the scratch table `relation` as the result of `sql`, replacing it if it exists. -#}
{% macro replace_scratch_table_as(relation, sql) -%}
    {%- do adapter.dispatch('replace_scratch_table_as', 'user_asset_warehouse')(relation, sql) -%}
{%- endmacro %}

{% macro default__replace_scratch_table_as(relation, sql) -%}
    {%- do replace_table_as(relation, sql) -%}
{%- endmacro %}

{% macro duckdb__replace_scratch_table_as(relation, sql) -%}
    {%- do run_query('create or replace temporary table ' ~ relation ~ ' as ' ~ sql) -%}
{%- endmacro %}


{#- Creates `relation` as the result of `sql`, replacing it if it exists: one statement on
    DuckDB; on Spark (one statement per call, and parquet tables cannot be replaced) a drop and
    a create. -#}
{% macro replace_table_as(relation, sql) -%}
    {%- do adapter.dispatch('replace_table_as', 'user_asset_warehouse')(relation, sql) -%}
{%- endmacro %}

{% macro default__replace_table_as(relation, sql) -%}
    {%- do run_query('create or replace table ' ~ relation ~ ' as ' ~ sql) -%}
{%- endmacro %}

{% macro spark__replace_table_as(relation, sql) -%}
    {%- do run_query('drop table if exists ' ~ relation) -%}
    {%- do run_query('create table ' ~ relation ~ ' using parquet as ' ~ sql) -%}
{%- endmacro %}


{#- Drops what connected_components() left for the caller's query (the representatives and the
    labels); call it from the model's post-hook. It runs the drops itself and renders nothing. -#}
{% macro drop_connected_components_scratch(relation) -%}
    {%- for name in ['representatives', 'labels'] -%}
        {%- do run_query('drop table if exists ' ~ connected_components_scratch(relation, name)) -%}
    {%- endfor -%}
{%- endmacro %}
