//! The integration tests, one binary: each module is a file of `tests/` (its doc says what it
//! covers), and they share `common`. One binary links polars, SQLite and nrqc once instead of
//! once per file.

mod common;

mod archive;
mod batch;
mod cli;
mod conformance;
mod filegdb;
mod fixtures;
mod formats;
mod gdal_written;
mod geopackage;
mod hostile;
mod html;
mod jts_validity;
mod kinds;
mod lang;
mod layers;
mod malformed;
mod no_silent_pass;
mod real_data;
mod review;
mod rule_cases;
mod rules_doc;
mod shapefile;
mod shard;
mod statistics;
mod tailoring;
mod topology;
mod units;
mod xlsx;
