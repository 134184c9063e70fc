//! One package inspected once: opened (a zip extracted), loaded, every rule run. Its report
//! under a profile, the map data of the findings the report lists, and the dataset the
//! cross-package rules read are all taken from the one [`Inspection`], which `nrqc check`,
//! `nrqc batch` and library users share.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::engine::{self, Schedule};
use crate::finding::RuleRun;
use crate::package::archive::{self, Opened};
use crate::package::{self, Dataset, PackageError};
use crate::progress::Observer;
use crate::quality::Profile;
use crate::report::{self, MapLayers, Report};
use crate::rules::RuleSet;

/// A package loaded and checked, before it is reported on.
pub struct Inspection<'r> {
    path: PathBuf,
    rules: &'r RuleSet,
    dataset: Dataset,
    outcomes: Vec<RuleRun>,
    stages: report::Stages,
    /// Holds a zip's extraction until the inspection is dropped.
    _opened: Opened,
}

impl<'r> Inspection<'r> {
    /// Opens the package at `path` (a directory, or a `.zip` holding one), loads it and runs
    /// every rule of `rules` on the current rayon pool. `observer` is told of each layer loaded
    /// and each rule run (`&()` for nobody).
    pub fn run(
        path: &Path,
        rules: &'r RuleSet,
        observer: &dyn Observer,
    ) -> Result<Inspection<'r>, PackageError> {
        Inspection::scheduled(path, rules, observer, Schedule::Together)
    }

    /// [`Inspection::run`] with the rules scheduled as `schedule` says (one at a time for
    /// `--timings`).
    pub fn scheduled(
        path: &Path,
        rules: &'r RuleSet,
        observer: &dyn Observer,
        schedule: Schedule,
    ) -> Result<Inspection<'r>, PackageError> {
        let started = Instant::now();
        let opened = archive::open(path)?;
        let dataset = package::load_observed(opened.root(), &rules.schema, observer)?;
        let load = started.elapsed();
        let started = Instant::now();
        let ran = engine::run_observed(&dataset, rules, observer, schedule);
        Ok(Inspection {
            path: path.to_owned(),
            rules,
            dataset,
            outcomes: ran.outcomes,
            stages: report::Stages {
                load,
                measure: ran.measuring,
                rules: started.elapsed().saturating_sub(ran.measuring),
                one_at_a_time: schedule == Schedule::OneAtATime,
            },
            _opened: opened,
        })
    }

    /// What was loaded: the input of the cross-package rules.
    pub fn dataset(&self) -> &Dataset {
        &self.dataset
    }

    /// The report, judged under `profile`.
    pub fn report(self, profile: &Profile) -> Report {
        report::build(
            &self.dataset,
            &self.path,
            self.rules,
            self.outcomes,
            profile,
            self.stages,
        )
    }

    /// [`Inspection::report`], with what report.html's map draws of the package and of the
    /// findings the page lists: the report itself holds none of the package's geometry.
    pub fn report_and_map(self, profile: &Profile) -> (Report, MapLayers) {
        let report = report::build(
            &self.dataset,
            &self.path,
            self.rules,
            self.outcomes,
            profile,
            self.stages,
        );
        let map = MapLayers::build(
            &self.dataset,
            &report,
            &report::html::listed_findings(&report),
        );
        (report, map)
    }
}
