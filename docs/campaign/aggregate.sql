-- Grades of every county over many batches: one batch.json per prefecture (or per run) under
-- reports/. `duckdb < docs/campaign/aggregate.sql`, from the folder holding reports/.
-- union_by_name: a unit's optional fields (score, error...) are absent from some files.
CREATE VIEW units AS
SELECT b.filename AS file, b.verdict.grade AS batch_grade, u.*
FROM read_json('reports/*/batch.json', union_by_name = true, filename = true) AS b,
     unnest(b.units) AS t(u);

-- Counties by grade, per province (first 2 digits of XZQDM) and prefecture (first 4). A package
-- that could not be read has no XZQDM: it is counted under '?' (and graded unqualified).
SELECT coalesce(left(xzqdm, 2), '?') AS province,
       coalesce(left(xzqdm, 4), '?') AS prefecture,
       count(*) FILTER (WHERE grade = 'excellent')   AS excellent,
       count(*) FILTER (WHERE grade = 'good')        AS good,
       count(*) FILTER (WHERE grade = 'qualified')   AS qualified,
       count(*) FILTER (WHERE grade = 'unqualified') AS unqualified,
       count(*) FILTER (WHERE xzqdm IS NULL)         AS unreadable,
       count(*)                                      AS packages
FROM units
GROUP BY ALL
ORDER BY province, prefecture;

-- Each batch's verdict beside its counts.
SELECT file, batch_grade, count(*) AS packages,
       count(*) FILTER (WHERE grade = 'unqualified') AS unqualified
FROM units
GROUP BY ALL
ORDER BY file;
