"""Grades of every county over many batches, with polars: the same counts as aggregate.sql.

    python docs/campaign/aggregate.py 'reports/*/batch.json'
"""
import glob
import sys

import polars as pl

GRADES = ["excellent", "good", "qualified", "unqualified"]

files = sorted(glob.glob(sys.argv[1] if len(sys.argv) > 1 else "reports/*/batch.json"))
# One row per batch.json; "diagonal_relaxed" since a unit's optional fields (score, error...)
# are absent from some files.
batches = pl.concat(
    [
        pl.read_json(f).select(
            pl.lit(f).alias("file"),
            pl.col("verdict").struct.field("grade").alias("batch_grade"),
            "units",
        )
        for f in files
    ],
    how="diagonal_relaxed",
)
units = batches.explode("units").unnest("units")

by_area = (
    units.with_columns(
        pl.col("xzqdm").str.slice(0, 2).fill_null("?").alias("province"),
        pl.col("xzqdm").str.slice(0, 4).fill_null("?").alias("prefecture"),
    )
    .group_by("province", "prefecture")
    .agg(
        *[(pl.col("grade") == g).sum().alias(g) for g in GRADES],
        # A package that could not be read has no XZQDM (and is graded unqualified).
        pl.col("xzqdm").is_null().sum().alias("unreadable"),
        pl.len().alias("packages"),
    )
    .sort("province", "prefecture")
)
print(by_area)

by_batch = (
    units.group_by("file", "batch_grade")
    .agg(
        pl.len().alias("packages"),
        (pl.col("grade") == "unqualified").sum().alias("unqualified"),
    )
    .sort("file")
)
print(by_batch)
