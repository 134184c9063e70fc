//! `readable`: every layer and table the package delivers can be read.
//!
//! A layer or table that cannot be decoded (a corrupt FlatGeobuf, a shapefile without its
//! `.dbf`, a CSV that is not text) is reported here, one finding per file, naming the file and
//! the reader's error; the rest of the package is still inspected, and the rules that need the
//! unreadable layer are reported as not run. `nrqc check` still exits 2, since the package could
//! not be inspected fully.
//!
//! ## Parameters
//! None: it looks at everything the package delivers.
//!
//! ## Example
//! ```yaml
//! - id: ZR-S000
//!   title: 图层或表无法读取
//!   class: A
//!   element: 完整性
//!   readable: {}
//! ```
//!
//! ## Finding
//! `ZRZK 无法读取：vector/ZRZK.fgb: ZRZK: truncated FlatGeobuf feature 3 ...`, measured
//! `{"file": "vector/ZRZK.fgb", "error": "..."}`.

use serde::Deserialize;
use serde_json::json;
use serde_saphyr::Location;

use super::{Check, Context, NotRun, Read};
use crate::diag::Name;
use crate::finding::{Finding, Unit};

fn package() -> Name {
    Name::new("成果包".into(), Location::UNKNOWN, Location::UNKNOWN)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Readable {
    /// What the findings are about: the package as a whole.
    #[serde(skip, default = "package")]
    package: Name,
}

impl Check for Readable {
    fn frame(&self) -> &Name {
        &self.package
    }

    fn describe(&self) -> String {
        "every layer and table the package delivers can be read".into()
    }

    fn reads(&self) -> Vec<Read<'_>> {
        vec![]
    }

    fn accepts_where(&self) -> bool {
        false
    }

    fn run(&self, cx: &Context) -> Result<Vec<Finding>, NotRun> {
        let failed = &cx.dataset.failed;
        cx.checked(cx.dataset.frames.len() + failed.len(), Unit::Frames);
        Ok(failed
            .iter()
            .map(|unreadable| {
                let file = unreadable.error.path.to_string_lossy().replace('\\', "/");
                let f = cx
                    .frame_finding(
                        &unreadable.frames.join("、"),
                        format!(
                            "{} 无法读取：{}",
                            unreadable.frames.join("、"),
                            unreadable.error
                        ),
                    )
                    .with_measured(json!({ "file": file, "error": unreadable.error.to_string() }));
                f
            })
            .collect())
    }
}
