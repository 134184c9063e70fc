//! Errors that stop a package from being read. Each names the file and, where they apply, the
//! layer, the feature and the field, so a producer can find the fault.

use std::fmt;
use std::path::PathBuf;

use miette::{Diagnostic, NamedSource, SourceSpan};

#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum PackageError {
    #[error("{path}: no package.yaml here; a package is a directory with a package.yaml manifest")]
    #[diagnostic(code(nrqc::package::no_manifest))]
    NoManifest { path: PathBuf },

    /// The package argument is neither a directory nor a regular file.
    #[error("{}: {what}; a package is a directory holding package.yaml, or a .zip file", path.display())]
    #[diagnostic(code(nrqc::package::not_a_package))]
    NotAPackage { path: PathBuf, what: String },

    #[error("package.yaml is not a valid manifest")]
    #[diagnostic(code(nrqc::package::manifest))]
    Manifest {
        #[diagnostic_source]
        report: miette::Report,
    },

    #[error("{message}")]
    #[diagnostic(code(nrqc::package::manifest_value))]
    ManifestValue {
        message: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("here")]
        span: Option<SourceSpan>,
    },

    #[error(transparent)]
    #[diagnostic(code(nrqc::package::read))]
    Read(#[from] ReadError),

    /// A zip package that cannot be extracted safely; `entry` is the entry's decoded name.
    #[error("{}: {}{message}", zip.display(), entry.as_deref().map(|e| format!("entry `{e}`: ")).unwrap_or_default())]
    #[diagnostic(code(nrqc::package::archive))]
    Archive {
        zip: PathBuf,
        entry: Option<String>,
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
    pub frame: Option<String>,
    /// 0-based feature index (row index for tables).
    pub feature: Option<usize>,
    pub field: Option<String>,
    pub message: String,
}

impl ReadError {
    pub fn new(path: impl Into<PathBuf>, message: impl Into<String>) -> ReadError {
        ReadError {
            path: path.into(),
            frame: None,
            feature: None,
            field: None,
            message: message.into(),
        }
    }

    pub fn frame(mut self, frame: &str) -> Self {
        self.frame = Some(frame.to_owned());
        self
    }

    pub fn feature(mut self, feature: usize) -> Self {
        self.feature = Some(feature);
        self
    }

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
