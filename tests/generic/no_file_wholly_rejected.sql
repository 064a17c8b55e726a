{#- A lines model has no file whose every line is rejected: such a file is a delivery lost whole
    (a CSV header without a required column, a file in another format or encoding), which the
    reject share of a large source would hide. A file of fewer than `wholly_rejected_min_lines`
    lines counts only when a reason concerns the whole file (`file_level_reject_reasons`, LIKE
    patterns): a one-line file with one bad line is a bad line. orchestration/quality/suites.py
    applies the same rule, with the same vars, in the reject_shares_<source> suites.
    Warn level: the build goes on, and the test's rows name each such file with its line count
    (`dbt show` or `--store-failures` lists them). -#}
{% test no_file_wholly_rejected(model) %}
{{ config(severity='warn') }}

select
    file_name,
    count(*) as line_count
from {{ model }}
group by file_name
having
    count(*) = count(case when line_status = 'rejected' then 1 end)
    and (
        count(*) >= {{ var('wholly_rejected_min_lines') | int }}
        or count(case when
            {%- for pattern in var('file_level_reject_reasons') %}
                {{ 'or ' if not loop.first }}reject_reason like {{ string_literal(pattern) }}
            {%- endfor %}
            then 1 end) > 0
    )

{% endtest %}
