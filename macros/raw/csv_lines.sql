{#- Splits the raw lines of a CSV source (from raw_lines) into data rows with their fields, and
    flags the rows that cannot be read: a file whose header differs from the contract
    (`unexpected_header`: all its rows), a stray quote (`malformed_csv`) or a wrong number of
    fields (`wrong_column_count`), or a read problem of raw_lines (`read_problem`). Renders a select of file_name, line_number, partition_date,
    raw_line, fields (a list of strings) and csv_reject_reason. -#}
{% macro csv_lines(raw_lines_relation, expected_columns) -%}
    select
        data_lines.file_name,
        data_lines.line_number,
        data_lines.partition_date,
        data_lines.raw_line,
        {{ csv_fields('data_lines.raw_line') }} as fields,
        case
            -- A line or file the reader could not read (raw_lines).
            when data_lines.read_problem is not null then data_lines.read_problem
            when
                coalesce({{ csv_header_names('headers.header_line') }}, '')
                != '{{ expected_columns | join(",") }}'
                then 'unexpected_header'
            when not {{ csv_is_well_formed('data_lines.raw_line') }} then 'malformed_csv'
            when {{ csv_field_count('data_lines.raw_line') }} != {{ expected_columns | length }}
                then 'wrong_column_count'
        end as csv_reject_reason
    from {{ raw_lines_relation }} as data_lines
    left join (
        -- A byte-order mark, a Windows line end or quotes around the names are not a different header.
        select
            file_name,
            {{ regex_replace_all('raw_line', '^\\x{FEFF}|\\r$', '') }} as header_line
        from {{ raw_lines_relation }}
        where line_number = 1
    ) as headers on data_lines.file_name = headers.file_name
    -- Line 1 is the header; line 0 stands for a file that could not be read at all.
    where data_lines.line_number != 1
{%- endmacro %}
