//! Hostile packages and shared folders (issue 13): each case runs the `nrqc` binary and checks
//! the guarantee it is about: nothing read outside the package, nothing written outside `--out`,
//! no temporary files left, no stale verdict, time and memory under the bounds the README states.
//! Inputs too large to commit, or that git cannot hold (symlinks to system files, FIFOs), are
//! made at test time; small ones live in the malformed corpus (`tests/malformed/`).

#[path = "hostile/output.rs"]
mod output;
#[path = "hostile/paths.rs"]
mod paths;
#[path = "hostile/readers.rs"]
mod readers;
#[path = "hostile/scale.rs"]
mod scale;
#[path = "hostile/tiles.rs"]
mod tiles;
