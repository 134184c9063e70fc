//! Geometry on CGCS2000: CRSs, Gauss-Krüger projection and the official ellipsoidal area.
//! Plain functions over geo types; they know nothing of rules or reports.

pub mod area;
pub mod crs;
pub mod fit;
pub mod gk;
pub mod shape;
pub mod topology;
pub mod validity;
