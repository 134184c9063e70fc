//! Errors that stop a package from being read. Each names the file and, where they apply, the
//! layer, the feature and the field, so a producer can find the fault.

use std::fmt;
use std::path::PathBuf;

use miette::{Diagnostic, NamedSource, SourceSpan};

/// Why a package could not be opened or loaded at all, and so was not inspected.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum PackageError {
    /// The directory (given, or extracted from a zip) has no `package.yaml`.
    #[error("{path}: no package.yaml here; a package is a directory with a package.yaml manifest")]
    #[diagnostic(code(nrqc::package::no_manifest))]
    NoManifest {
        /// The package directory as given; for a zip, the directory it was extracted to.
        path: PathBuf,
        /// What to do instead, when the directory holds packages of its own.
        #[help]
        help: Option<String>,
    },

    /// The package argument is neither a directory nor a regular file.
    #[error("{}: {what}; a package is a directory holding package.yaml, or a .zip file", path.display())]
    #[diagnostic(code(nrqc::package::not_a_package))]
    NotAPackage {
        /// The path as given to `archive::open`.
        path: PathBuf,
        /// What it is instead, e.g. `is a FIFO (named pipe)`, or `cannot be read: …`.
        what: String,
    },

    /// `package.yaml` is not YAML, or not of the manifest's shape (an unknown or missing key,
    /// a value of the wrong kind).
    #[error("package.yaml is not a valid manifest")]
    #[diagnostic(code(nrqc::package::manifest))]
    Manifest {
        /// The YAML parser's diagnostic, pointing into the manifest.
        #[diagnostic_source]
        report: miette::Report,
    },

    /// A manifest value nrqc refuses: an `xzqdm` that is not 6 digits, a `crs` not of the form
    /// `EPSG:<code>`, a `survey_date` not `YYYY-MM-DD`, a key written twice, or YAML beyond
    /// the parser's limits.
    #[error("{message}")]
    #[diagnostic(code(nrqc::package::manifest_value))]
    ManifestValue {
        /// The whole message, starting with the file and, where known, the line.
        message: String,
        /// The manifest's text, named as the file.
        #[source_code]
        src: NamedSource<String>,
        /// The offending value; `None` when the parser gave no position.
        #[label("here")]
        span: Option<SourceSpan>,
    },

    /// The package cannot be loaded as a whole: an unreadable manifest or folder, a mapping
    /// `package.yaml` refuses, a layer delivered twice, layers without a `crs`. A layer or table
    /// that fails to decode is not this but an entry of `Dataset::failed`.
    #[error(transparent)]
    #[diagnostic(code(nrqc::package::read))]
    Read(#[from] ReadError),

    /// A zip package that cannot be extracted safely; `entry` is the entry's decoded name.
    #[error("{}: {}{message}", zip.display(), entry.as_deref().map(|e| format!("entry `{e}`: ")).unwrap_or_default())]
    #[diagnostic(code(nrqc::package::archive))]
    Archive {
        /// The zip file as given.
        zip: PathBuf,
        /// `None` when the fault is the zip's as a whole (unreadable, too many entries, no
        /// `package.yaml`).
        entry: Option<String>,
        /// What is wrong, in English.
        message: String,
    },
}

impl PackageError {
    pub(crate) fn manifest_value(
        text: &str,
        file: &str,
        at: &serde_saphyr::Location,
        message: String,
    ) -> PackageError {
        PackageError::ManifestValue {
            message,
            src: NamedSource::new(file, text.to_owned()),
            span: crate::diag::span_of(at),
        }
    }
}

/// A file of the package that could not be read, with as much of the place as is known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ReadError {
    /// Path relative to the package root.
    pub path: PathBuf,
    /// The layer or table the file was read as, e.g. `ZRZK`; `None` before that is known.
    pub frame: Option<String>,
    /// 0-based feature index (row index for tables).
    pub feature: Option<usize>,
    /// The attribute field (column) at fault, e.g. `MJ`.
    pub field: Option<String>,
    /// What is wrong, in English; `Display` prefixes the path, frame, feature and field.
    pub message: String,
}

impl ReadError {
    /// An error about the file at `path` (relative to the package root), not yet placed in a
    /// frame, feature or field.
    pub fn new(path: impl Into<PathBuf>, message: impl Into<String>) -> ReadError {
        ReadError {
            path: path.into(),
            frame: None,
            feature: None,
            field: None,
            message: message.into(),
        }
    }

    /// Names the layer or table being read.
    pub fn frame(mut self, frame: &str) -> Self {
        self.frame = Some(frame.to_owned());
        self
    }

    /// Places it at the 0-based feature (or table row) `feature`.
    pub fn feature(mut self, feature: usize) -> Self {
        self.feature = Some(feature);
        self
    }

    /// Places it at the attribute field `field`.
    pub fn field(mut self, field: &str) -> Self {
        self.field = Some(field.to_owned());
        self
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(frame) = &self.frame {
            write!(f, ": {frame}")?;
        }
        if let Some(feature) = self.feature {
            write!(f, ", feature {feature}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ", field {field}")?;
        }
        write!(f, ": {}", self.message)
    }
}
