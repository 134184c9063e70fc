//! See tests/hostile.rs.
