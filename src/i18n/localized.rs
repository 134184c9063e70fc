//! A diagnostic shown in the reader's language: its message, help, labels, related diagnostics
//! and causes put through the catalogue, its code, severity and source text as they are.

use std::fmt;

use miette::{Diagnostic, LabeledSpan, Severity, SourceCode};

use super::{tr, Lang};

/// `inner` with every text a person reads in `lang`. miette renders it like `inner`.
#[derive(Debug)]
pub struct Localized<'d> {
    inner: Option<&'d dyn Diagnostic>,
    message: String,
    help: Option<String>,
    labels: Vec<LabeledSpan>,
    related: Vec<Localized<'d>>,
    cause: Option<Box<Localized<'d>>>,
}

impl<'d> Localized<'d> {
    /// `diagnostic`, its related diagnostics and its chain of causes, in `lang`.
    pub fn new(diagnostic: &'d dyn Diagnostic, lang: Lang) -> Localized<'d> {
        let cause = match diagnostic.diagnostic_source() {
            Some(d) => Some(Box::new(Localized::new(d, lang))),
            None => diagnostic
                .source()
                .map(|e| Box::new(Localized::plain(e, lang))),
        };
        Localized {
            inner: Some(diagnostic),
            message: tr(lang, &diagnostic.to_string()).into_owned(),
            help: diagnostic
                .help()
                .map(|h| tr(lang, &h.to_string()).into_owned()),
            labels: diagnostic
                .labels()
                .into_iter()
                .flatten()
                .map(|l| {
                    let text = l.label().map(|t| tr(lang, t).into_owned());
                    if l.primary() {
                        LabeledSpan::new_primary_with_span(text, *l.inner())
                    } else {
                        LabeledSpan::new_with_span(text, *l.inner())
                    }
                })
                .collect(),
            related: diagnostic
                .related()
                .into_iter()
                .flatten()
                .map(|d| Localized::new(d, lang))
                .collect(),
            cause,
        }
    }

    /// A cause that is an error but not a diagnostic: its message and its own causes.
    fn plain(error: &'d (dyn std::error::Error + 'static), lang: Lang) -> Localized<'d> {
        Localized {
            inner: None,
            message: tr(lang, &error.to_string()).into_owned(),
            help: None,
            labels: Vec::new(),
            related: Vec::new(),
            cause: error.source().map(|e| Box::new(Localized::plain(e, lang))),
        }
    }
}

impl fmt::Display for Localized<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

// The chain of causes is given as diagnostics (`diagnostic_source`), already localized.
impl std::error::Error for Localized<'_> {}

impl Diagnostic for Localized<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.inner?.code()
    }

    fn severity(&self) -> Option<Severity> {
        self.inner?.severity()
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn url<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.inner?.url()
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.inner?.source_code()
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            return None;
        }
        Some(Box::new(self.labels.iter().cloned()))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(self.related.iter().map(|d| d as &dyn Diagnostic)))
    }

    fn diagnostic_source(&self) -> Option<&dyn Diagnostic> {
        self.cause.as_deref().map(|c| c as &dyn Diagnostic)
    }
}
