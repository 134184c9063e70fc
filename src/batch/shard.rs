//! A batch in shards: `nrqc batch --shard K/N` inspects a deterministic share of the packages
//! and writes a manifest (`shard-K-of-N.json`) with everything the batch's verdict needs of
//! them; `nrqc merge` reads the N manifests and finishes the batch as one `nrqc batch` would
//! (`super::finish`), without reading a package again. The scheduling (a Slurm job array, a
//! Kubernetes Indexed Job) is the scheduler's; docs/campaign.md shows both.
//!
//! The share: the packages are found, sampled and named exactly as the whole batch would be,
//! then shard K of N takes the packages at the 0-based positions i with `i % N == K - 1`, in
//! the order found. Interleaving spreads a prefecture's counties (found together, similar in
//! size) over the shards rather than giving one shard a whole province.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Entry, Sampling};
use crate::quality::Profile;
use crate::report::{Engine, RulesetInfo};

/// The version of a shard manifest's schema.
pub const SHARD_SCHEMA: &str = "nrqc-shard/1";

/// `--shard K/N`: the K-th (1-based) of N shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// K, 1 ≤ K ≤ N.
    pub index: usize,
    /// N ≥ 1.
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Shard, String> {
        let parsed = s
            .split_once('/')
            .and_then(|(k, n)| Some((k.trim().parse().ok()?, n.trim().parse().ok()?)));
        match parsed {
            Some((index, count)) if (1..=count).contains(&index) => Ok(Shard { index, count }),
            Some((index, count)) => Err(format!(
                "shard {index}/{count}: K must be between 1 and N ({count})"
            )),
            None => Err(format!("`{s}` is not K/N, e.g. 3/8")),
        }
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// The positions (0-based, in the batch's order) of the packages this shard inspects, of
    /// a batch of `len` packages.
    pub fn share(&self, len: usize) -> Vec<usize> {
        (0..len)
            .filter(|i| i % self.count == self.index - 1)
            .collect()
    }

    /// Its manifest's file name: `shard-K-of-N.json`.
    pub fn file_name(&self) -> String {
        format!("shard-{}-of-{}.json", self.index, self.count)
    }
}

/// What every shard of one batch must have been run with: merge refuses manifests that differ
/// in any of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Campaign {
    /// The nrqc that ran the shard: reports of another version may not render alike.
    pub engine: Engine,
    /// The batch's name (`Summary::name`).
    pub name: String,
    /// `--rules`, `--select` and `--ignore` as given: merge loads the rule set from them.
    pub rule_args: RuleArgs,
    /// The rule set they loaded, with its digest: merge checks it loads the same.
    pub ruleset: RulesetInfo,
    /// The profile, `--fail-on` applied.
    pub profile: Profile,
    /// How the sample was drawn; `None` when every package is inspected.
    pub sampling: Option<Sampling>,
    /// `--plan-year`.
    pub plan_year: Option<i32>,
    /// `--prefecture-table` files: merge reads them again and checks they are unchanged.
    pub prefecture_tables: Vec<TableFile>,
    /// Every package of the batch (after sampling), in order: its report folder and its path.
    pub packages: Vec<Listed>,
}

/// `--rules`, `--select` and `--ignore` as a shard was given them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleArgs {
    /// `--rules`, in order (`DIR` or `+DIR`).
    pub rules: Vec<String>,
    /// `--select`.
    pub select: Vec<String>,
    /// `--ignore`.
    pub ignore: Vec<String>,
}

/// A `--prefecture-table` file as a shard saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableFile {
    /// As given on the command line.
    pub path: PathBuf,
    /// SHA-256 of its bytes; `None` when it could not be read (the batch rule that needs it
    /// then says so, at merge as in one run).
    pub sha256: Option<String>,
}

impl TableFile {
    /// `path` as it is now.
    pub fn read(path: &Path) -> TableFile {
        use sha2::Digest;
        TableFile {
            path: path.to_owned(),
            sha256: std::fs::read(path)
                .ok()
                .map(|bytes| crate::hex(&sha2::Sha256::digest(bytes))),
        }
    }
}

/// A package of the batch: its report folder and its path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listed {
    /// Its report folder (`Unit::package`).
    pub name: String,
    /// Its path as found from the command line.
    pub path: String,
}

/// `shard-K-of-N.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// `nrqc-shard/1` (`SHARD_SCHEMA`).
    pub schema: String,
    /// RFC 3339 UTC; from `SOURCE_DATE_EPOCH` when set.
    pub generated_at: String,
    /// The shard run's id (its county reports' until merge rewrites them).
    pub run_id: String,
    /// Which share it is.
    pub shard: Shard,
    /// What the batch was run with, the same in every shard.
    pub batch: Campaign,
    /// This shard's packages, in batch order: each one's inspection before the cross-package
    /// rules.
    pub entries: Vec<Positioned>,
}

/// A package of a shard: where it stands in the batch, and its inspection.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Positioned {
    /// Its 0-based position in `Campaign::packages`.
    pub position: usize,
    /// Its inspection, or why it could not be read.
    pub entry: Entry,
}

impl Manifest {
    /// The manifest of `shard`, whose `entries` are the inspections of its share, in order.
    pub fn new(shard: Shard, batch: Campaign, entries: Vec<Entry>) -> Manifest {
        let share = shard.share(batch.packages.len());
        Manifest {
            schema: SHARD_SCHEMA.to_owned(),
            generated_at: crate::report::now_rfc3339(),
            run_id: crate::report::run_id().to_owned(),
            shard,
            batch,
            entries: share
                .into_iter()
                .zip(entries)
                .map(|(position, entry)| Positioned { position, entry })
                .collect(),
        }
    }

    /// As written to `shard-K-of-N.json`: compact, since it holds every report of the share.
    pub fn to_json(&self) -> Result<String, String> {
        serde_json::to_string(self)
            .map_err(|e| format!("cannot write {}: {e}", self.shard.file_name()))
    }
}

/// The shard manifests in `dirs` (every `shard-*-of-*.json`), each with its file.
pub fn read_manifests(dirs: &[PathBuf]) -> Result<Vec<(PathBuf, Manifest)>, String> {
    let mut files = Vec::new();
    for dir in dirs {
        let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut found: Vec<PathBuf> = entries
            .filter_map(|e| Some(e.ok()?.path()))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("shard-") && n.ends_with(".json"))
            })
            .collect();
        found.sort();
        files.extend(found);
    }
    if files.is_empty() {
        let dirs: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        return Err(format!(
            "no shard manifest (shard-K-of-N.json) in {}",
            dirs.join(", ")
        ));
    }
    files
        .into_iter()
        .map(|file| {
            let manifest = read_manifest(&file)?;
            Ok((file, manifest))
        })
        .collect()
}

/// One manifest; an error names the file.
fn read_manifest(file: &Path) -> Result<Manifest, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    // The schema first, so that another document (or another version's manifest) is named as
    // such rather than by the first field it lacks.
    #[derive(Deserialize)]
    struct Head {
        schema: Option<String>,
    }
    let head: Head = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{}: not a shard manifest: {e}", file.display()))?;
    if head.schema.as_deref() != Some(SHARD_SCHEMA) {
        return Err(format!(
            "{}: not an {SHARD_SCHEMA} manifest (schema {})",
            file.display(),
            head.schema.as_deref().unwrap_or("missing")
        ));
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| format!("{}: not a shard manifest: {e}", file.display()))
}

/// The N manifests of one batch, checked to be its shards 1..N once each, run alike, each
/// holding exactly its share: the batch's settings and every package's inspection in batch
/// order. Anything else is an error naming the files, never a partial batch.
pub fn assemble(manifests: Vec<(PathBuf, Manifest)>) -> Result<(Campaign, Vec<Entry>), String> {
    let Some((first_file, first)) = manifests.first() else {
        return Err("no shard manifest".into());
    };
    let count = first.shard.count;
    let settings = |m: &Manifest| serde_json::to_value(&m.batch).ok();
    let reference = settings(first);
    let mut by_index: BTreeMap<usize, &Path> = BTreeMap::new();
    for (file, m) in &manifests {
        if m.shard.count != count {
            return Err(format!(
                "{} is shard {} but {} is shard {}: they are not shards of one batch",
                file.display(),
                m.shard,
                first_file.display(),
                first.shard
            ));
        }
        if settings(m) != reference {
            return Err(difference((first_file, &first.batch), (file, &m.batch)));
        }
        if let Some(earlier) = by_index.insert(m.shard.index, file) {
            return Err(format!(
                "shard {} is given twice: {} and {}",
                m.shard,
                earlier.display(),
                file.display()
            ));
        }
    }
    let missing: Vec<String> = (1..=count)
        .filter(|k| !by_index.contains_key(k))
        .map(|k| Shard { index: k, count }.file_name())
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "shards missing: {} (of {count}); run them, or give the folders they wrote to",
            missing.join(", ")
        ));
    }
    let (batch, mut slots) = {
        let batch = first.batch.clone();
        let slots: Vec<Option<Entry>> = vec![None; batch.packages.len()];
        (batch, slots)
    };
    for (file, m) in manifests {
        let share = m.shard.share(batch.packages.len());
        let positions: Vec<usize> = m.entries.iter().map(|p| p.position).collect();
        if positions != share {
            return Err(format!(
                "{}: its packages are not shard {}'s share of the batch",
                file.display(),
                m.shard
            ));
        }
        for Positioned { position: i, entry } in m.entries {
            let listed = &batch.packages[i];
            if entry.name != listed.name || entry.path != listed.path {
                return Err(format!(
                    "{}: package {} is not the batch's {}",
                    file.display(),
                    entry.path,
                    listed.path
                ));
            }
            slots[i] = Some(entry);
        }
    }
    // Every position is some shard's share, and every share was checked to be complete.
    let entries = slots.into_iter().flatten().collect::<Vec<_>>();
    if entries.len() != batch.packages.len() {
        return Err("the shards do not cover every package of the batch".into());
    }
    Ok((batch, entries))
}

/// The error that refuses two shards run differently, naming the first difference found.
fn difference((f, a): (&Path, &Campaign), (g, b): (&Path, &Campaign)) -> String {
    let (f, g) = (f.display(), g.display());
    if a.engine.version != b.engine.version || a.engine.name != b.engine.name {
        format!(
            "{f} and {g} were written by different versions of nrqc ({} and {})",
            a.engine.version, b.engine.version
        )
    } else if a.packages != b.packages {
        format!(
            "{f} and {g} are shards of different packages: run every shard over the same packages"
        )
    } else if a.rule_args != b.rule_args
        || a.ruleset.id != b.ruleset.id
        || a.ruleset.sha256 != b.ruleset.sha256
    {
        // The rest of the rule set's record (how many rules ran) follows from the profile.
        format!("{f} and {g} were run with different rules")
    } else {
        format!(
            "{f} and {g} were run with different options (--profile, --fail-on, --sample, \
             --seed, --plan-year or --prefecture-table)"
        )
    }
}

/// Checks that the `--prefecture-table` files read the same as when the shards ran.
pub fn check_tables(tables: &[TableFile]) -> Result<(), String> {
    for t in tables {
        if TableFile::read(&t.path) != *t {
            return Err(format!(
                "{}: the prefecture table is not the one the shards were given (changed, moved \
                 or unreadable since)",
                t.path.display()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Shard;

    #[test]
    fn shards_parse_and_share_by_position() {
        let s: Shard = "2/3".parse().unwrap();
        assert_eq!(s, Shard { index: 2, count: 3 });
        assert_eq!(s.share(8), vec![1, 4, 7]);
        assert_eq!(s.file_name(), "shard-2-of-3.json");
        // Every package is in exactly one share.
        let mut all: Vec<usize> = (1..=3)
            .flat_map(|k| Shard { index: k, count: 3 }.share(8))
            .collect();
        all.sort();
        assert_eq!(all, (0..8).collect::<Vec<_>>());
        assert_eq!(
            "0/4".parse::<Shard>().unwrap_err(),
            "shard 0/4: K must be between 1 and N (4)"
        );
        assert_eq!(
            "5/4".parse::<Shard>().unwrap_err(),
            "shard 5/4: K must be between 1 and N (4)"
        );
        assert_eq!(
            "3".parse::<Shard>().unwrap_err(),
            "`3` is not K/N, e.g. 3/8"
        );
        assert!("1/0".parse::<Shard>().is_err());
        assert!("-1/4".parse::<Shard>().is_err());
    }
}
