{#- The identity_blocklist seed's regex rules as a SQL expression over an identifier's type and
    value: the rule's reason when the value matches one of its type's patterns (the smallest
    reason when several match), else null. The rules are read from the seed when the model runs
    and written into the SQL as constants: a pattern held in a column is compiled again for every
    row, which took 13 of the 31 s of int_identity_nodes on the large tier. Rendering without a
    warehouse (lint, parse) or before the seed is loaded (compile, docs) gives null; a run before
    the seed is loaded stops with an error. -#}
{% macro blocklist_pattern_reason(blocklist, type_column, value_column) -%}
    {%- if not can_query_warehouse() -%}
        {{ return('cast(null as ' ~ dbt.type_string() ~ ')') }}
    {%- endif -%}
    {%- if load_relation(blocklist) is none -%}
        {%- if is_building() -%}
            {{ exceptions.raise_compiler_error(
                "The identity_blocklist seed is not loaded (" ~ blocklist ~ "): run `dbt seed` or `dbt build`."
            ) }}
        {%- endif -%}
        {{ return('cast(null as ' ~ dbt.type_string() ~ ')') }}
    {%- endif -%}
    {#- A rule with a null field blocks nothing, as in min(reason) over the matching rules. -#}
    {%- set rules = run_query(
        "select identifier_type, pattern, reason from " ~ blocklist
        ~ " where match_type = 'regex' and identifier_type is not null and pattern is not null"
        ~ " and reason is not null order by reason, identifier_type, pattern"
    ).rows -%}
    {%- if rules | length == 0 -%}
        {{ return('cast(null as ' ~ dbt.type_string() ~ ')') }}
    {%- endif -%}
    case
        {%- for rule in rules %}
        when {{ type_column }} = {{ string_literal(rule[0]) }}
            and {{ regex_full_match(value_column, rule[1]) }}
            then {{ string_literal(rule[2]) }}
        {%- endfor %}
    end
{%- endmacro %}
