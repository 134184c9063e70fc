//! `one_package_per_area: {}`: each county (`xzqdm` of `package.yaml`) is delivered by one
//! package of the batch. A county delivered twice (a package copied to a second folder, or a
//! folder holding `622923_永靖县` and a copy `622923_永靖县_v2`) is one finding about the batch,
//! naming every path it came from: the batch does not say which delivery is the county's. The
//! kinds that compare packages (`unique_across`, `delivered_once`) do not compare the copies
//! with each other, so that the second delivery is this one finding and not a clash of every
//! unit with itself; `totals_match` does not sum a county twice, and says why it did not judge.
//!
//! ```yaml
//! - id: ZR-X005
//!   one_package_per_area: {}
//! ```

use serde::Deserialize;
use serde_json::json;

use super::{CrossCheck, CrossContext, Input, Judgement};
use crate::checks::Read;
use crate::package::Dataset;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnePackagePerArea {}

impl CrossCheck for OnePackagePerArea {
    fn reads(&self) -> Vec<Read<'_>> {
        vec![]
    }

    fn describe(&self) -> String {
        "no two packages of the batch deliver the same county (`xzqdm` of `package.yaml`)".into()
    }

    fn extract(&self, _: &Dataset) -> Input {
        Input::Manifest
    }

    fn judge(&self, cx: &CrossContext) -> Result<Judgement, String> {
        let about_batch = cx
            .redelivered()
            .into_iter()
            .map(|(code, copies)| {
                let first = &cx.packages[copies[0]];
                let paths: Vec<&str> = copies.iter().map(|&i| cx.packages[i].path).collect();
                let reports: Vec<&str> = copies.iter().map(|&i| cx.packages[i].name).collect();
                cx.finding(
                    "package.yaml",
                    vec![],
                    format!(
                        "{code} {}交付了 {} 次：{}",
                        first.area_name,
                        copies.len(),
                        paths.join("、")
                    ),
                )
                .with_measured(json!({ "xzqdm": code, "paths": paths, "reports": reports }))
                .with_expected(json!({ "packages": 1 }))
            })
            .collect();
        Ok(Judgement {
            about_batch,
            ..Judgement::default()
        })
    }
}
