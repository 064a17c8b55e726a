{#- Regular expressions on both engines. Patterns are passed as Jinja strings and rendered as
    literals by string_literal (utils/quoted_list.sql): Spark unescapes backslashes in a literal,
    so they are doubled there. DuckDB uses RE2, Spark Java regexes; the project's patterns mean
    the same in both. -#}

{% macro regex_literal(pattern) -%}
    {{ return(string_literal(pattern)) }}
{%- endmacro %}


{#- True when the whole text matches the pattern (null for null text); regex_full_match_column
    for a pattern held in a column. -#}
{% macro regex_full_match(text, pattern) -%}
    {{ return(regex_full_match_column(text, regex_literal(pattern))) }}
{%- endmacro %}


{#- True when the whole of `text` matches the regular expression held in the column or expression
    `pattern` (for a pattern written in the SQL, use regex_full_match). -#}
{% macro regex_full_match_column(text, pattern) -%}
    {{ return(adapter.dispatch('regex_full_match_column', 'user_asset_warehouse')(text, pattern)) }}
{%- endmacro %}

{% macro default__regex_full_match_column(text, pattern) -%}
    regexp_full_match({{ text }}, {{ pattern }})
{%- endmacro %}

{#- \z: Java's $ would also match before a final line break. -#}
{% macro spark__regex_full_match_column(text, pattern) -%}
    ({{ text }} rlike concat('^(?:', {{ pattern }}, ')\\z'))
{%- endmacro %}


{#- True when the pattern matches somewhere in the text (null for null text). -#}
{% macro regex_search(text, pattern) -%}
    {{ return(adapter.dispatch('regex_search', 'user_asset_warehouse')(text, pattern)) }}
{%- endmacro %}

{% macro default__regex_search(text, pattern) -%}
    regexp_matches({{ text }}, {{ regex_literal(pattern) }})
{%- endmacro %}

{% macro spark__regex_search(text, pattern) -%}
    ({{ text }} rlike {{ regex_literal(pattern) }})
{%- endmacro %}


{#- Every match replaced. (On Spark a fourth argument is a position, and DuckDB's 'g' flag there
    silently yields null.) -#}
{% macro regex_replace_all(text, pattern, replacement) -%}
    {{ return(adapter.dispatch('regex_replace_all', 'user_asset_warehouse')(text, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regex_replace_all(text, pattern, replacement) -%}
    regexp_replace({{ text }}, {{ regex_literal(pattern) }}, '{{ replacement }}', 'g')
{%- endmacro %}

{% macro spark__regex_replace_all(text, pattern, replacement) -%}
    regexp_replace({{ text }}, {{ regex_literal(pattern) }}, '{{ replacement }}')
{%- endmacro %}


{#- The text of capture group `group` (0: the whole match) of the first match; '' when none. -#}
{% macro regex_extract(text, pattern, group) -%}
    regexp_extract({{ text }}, {{ regex_literal(pattern) }}, {{ group }})
{%- endmacro %}
