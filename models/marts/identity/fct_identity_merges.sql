-- A person "merges" into another when identifiers that carried its one_id carry the other's
-- in a later build (the survivor is the person whose earliest identifier was seen first, see
-- int_identity_persons_assigned); a split is the same move seen from the other side.
with

versions as (

    select * from {{ identity_person_versions() }}

),

moves as (

    select
        previous.one_id as from_one_id,
        current_version.one_id as to_one_id,
        current_version.dbt_valid_from as observed_at,
        previous.identifier_key
    from versions as previous
    inner join versions as current_version
        on
            previous.identifier_key = current_version.identifier_key
            and previous.dbt_valid_to = current_version.dbt_valid_from
    where previous.one_id != current_version.one_id

),

final as (

    select
        from_one_id,
        to_one_id,
        observed_at,
        count(*) as identifier_count
    from moves
    group by 1, 2, 3

)

select * from final
