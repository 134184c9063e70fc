//! The report's timestamp and run id, honouring `SOURCE_DATE_EPOCH` for reproducible output.

use std::time::{SystemTime, UNIX_EPOCH};

fn source_date_epoch() -> Option<i64> {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
}

/// This process's run id, 16 hex digits, in every report of the run: files that carry the
/// same id were written together. Random per run (std's `RandomState` is seeded by the
/// operating system); derived from `SOURCE_DATE_EPOCH` when that is set, so that reproducible
/// reports stay byte for byte the same.
pub fn run_id() -> &'static str {
    use std::hash::{BuildHasher, Hash, Hasher};
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| match source_date_epoch() {
        Some(secs) => {
            use sha2::Digest;
            let digest = sha2::Sha256::digest(format!("nrqc-run {secs}"));
            crate::hex(&digest[..8])
        }
        None => {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            std::process::id().hash(&mut h);
            SystemTime::now().hash(&mut h);
            format!("{:016x}", h.finish())
        }
    })
}

/// The time reports are stamped with, RFC 3339 UTC to the second (`2025-11-28T00:00:00Z`): now, or
/// `SOURCE_DATE_EPOCH` when that is set.
pub fn now_rfc3339() -> String {
    let secs = source_date_epoch().unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    });
    rfc3339(secs)
}

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ` (proleptic Gregorian).
fn rfc3339(secs: i64) -> String {
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = crate::diag::civil_from_days(secs.div_euclid(86_400));
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_instants() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(super::rfc3339(1_798_761_599), "2026-12-31T23:59:59Z");
    }
}
