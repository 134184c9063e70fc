//! Progress of an inspection, for whoever runs it to show: the library never prints.

/// The long stages of an inspection, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Reading and decoding the package's layers and tables.
    Layers,
    /// Measuring the layers' geometry, then running the rules.
    Rules,
}

/// Told how far an inspection is. Called from worker threads, so it must be `Sync`; `()`
/// observes nothing.
pub trait Observer: Sync {
    /// `stage` begins, with `total` steps to go.
    fn start(&self, _stage: Stage, _total: usize) {}
    /// One step of `stage` is done: a layer loaded, a rule run.
    fn step(&self, _stage: Stage) {}
}

impl Observer for () {}
