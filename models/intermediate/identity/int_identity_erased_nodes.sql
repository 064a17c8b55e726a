-- One row per identifier node to erase: every identifier of every person named by a valid
-- erasure request. Derived from the raw requests on every build, so erasure stays applied after
-- a full refresh.
with

erasure_requests as (

    select * from {{ ref('stg_privacy__erasure_requests') }}
    where identifier_status = 'valid'

),

nodes as (

    select * from {{ ref('int_identity_nodes') }}

),

components as (

    select * from {{ ref('int_identity_components') }}

),

erased_components as (

    select distinct
        components.component_id,
        min(erasure_requests.request_id) over (partition by components.component_id) as request_id
    from erasure_requests
    inner join nodes on erasure_requests.identifier_key = nodes.identifier_key
    inner join components on nodes.node_id = components.node_id
    -- A blocked identifier (a test number) belongs to nobody: a request naming it erases nobody.
    where not nodes.is_blocked

),

final as (

    select
        components.node_id,
        nodes.identifier_key,
        erased_components.request_id
    from erased_components
    inner join components on erased_components.component_id = components.component_id
    inner join nodes on components.node_id = nodes.node_id

)

select * from final
