//! The `.dbf`'s text encoding: what the `.cpg` or the manifest declares, and what the bytes say.

use super::dbf::Dbf;
use super::ShapefileParts;
use crate::package::error::ReadError;
use crate::package::manifest::Encoding;
use crate::package::InputNote;

/// Without trailing spaces and NULs (dBASE pads text with spaces; some writers with NULs).
pub(super) fn trim(b: &[u8]) -> &[u8] {
    let end = b
        .iter()
        .rposition(|&c| c != b' ' && c != 0)
        .map_or(0, |i| i + 1);
    &b[..end]
}

pub(super) fn hex_preview(b: &[u8]) -> String {
    let shown: Vec<String> = b.iter().take(16).map(|c| format!("{c:02X}")).collect();
    let more = if b.len() > 16 { " …" } else { "" };
    format!("{}{more}", shown.join(" "))
}

pub(super) fn encoding_name(e: Encoding) -> &'static str {
    match e {
        Encoding::Utf8 => "UTF-8",
        Encoding::Gbk => "GBK",
    }
}

pub(super) fn decode(b: &[u8], e: Encoding) -> Option<String> {
    match e {
        Encoding::Utf8 => std::str::from_utf8(b).ok().map(str::to_owned),
        Encoding::Gbk => encoding_rs::GBK
            .decode_without_bom_handling_and_without_replacement(b)
            .map(|s| s.into_owned()),
    }
}

/// What a `.cpg` file says, as nrqc's encodings: `Err` with the label for one it does not read.
pub(super) fn cpg_label(bytes: &[u8]) -> Result<Encoding, String> {
    let label = String::from_utf8_lossy(bytes).trim().to_owned();
    let upper = label.to_ascii_uppercase().replace(['-', '_', ' '], "");
    match upper.as_str() {
        "UTF8" | "65001" => Ok(Encoding::Utf8),
        "GBK" | "CP936" | "936" | "ANSI936" | "GB2312" | "GB18030" | "54936" | "EUCCN" => {
            Ok(Encoding::Gbk)
        }
        _ => Err(label),
    }
}

pub(super) fn choose_encoding(
    frame: &str,
    parts: &ShapefileParts<'_>,
    dbf: &Dbf<'_>,
    manifest: Option<Encoding>,
    notes: &mut Vec<InputNote>,
) -> Result<Encoding, ReadError> {
    // The declared encoding and where it was declared.
    let (declared, source): (Option<Encoding>, String) = match parts.cpg.map(|c| cpg_label(c.bytes))
    {
        Some(Ok(e)) => (
            Some(e),
            parts
                .cpg
                .map(|c| c.path.display().to_string())
                .unwrap_or_default(),
        ),
        Some(Err(label)) => (
            None,
            format!(
                "{} (`{label}`, not an encoding nrqc reads)",
                parts
                    .cpg
                    .map(|c| c.path.display().to_string())
                    .unwrap_or_default()
            ),
        ),
        None => match manifest {
            Some(e) => (Some(e), "package.yaml".to_owned()),
            None if dbf.ldid == 0x4D => (
                Some(Encoding::Gbk),
                "the .dbf language driver (936)".to_owned(),
            ),
            None => (None, String::new()),
        },
    };
    let mut ascii = true;
    let mut utf8 = true;
    let mut gbk = true;
    for (_, _, bytes) in dbf.texts() {
        if bytes.is_ascii() {
            continue;
        }
        ascii = false;
        utf8 &= std::str::from_utf8(bytes).is_ok();
        gbk &= decode(bytes, Encoding::Gbk).is_some();
        if !utf8 && !gbk {
            break;
        }
    }
    if ascii {
        return Ok(declared.unwrap_or(Encoding::Utf8));
    }
    let used = if utf8 {
        Encoding::Utf8
    } else if gbk {
        Encoding::Gbk
    } else {
        // Name the first value the declared encoding (else GBK) cannot decode.
        let e = declared.unwrap_or(Encoding::Gbk);
        let (row, field, bytes) = dbf
            .texts()
            .find(|(_, _, b)| decode(b, e).is_none())
            .expect("a value that neither encoding decodes");
        let mut err = ReadError::new(
            parts.dbf.path,
            format!(
                "text bytes {} are neither UTF-8 nor GBK{}",
                hex_preview(bytes),
                if source.is_empty() {
                    String::new()
                } else {
                    format!(
                        " (declared {} by {source})",
                        declared.map_or("no encoding", encoding_name)
                    )
                }
            ),
        )
        .frame(frame)
        .field(field);
        if let Some(row) = row {
            err = err.feature(row);
        }
        return Err(err);
    };
    let used_name = encoding_name(used);
    let message = match declared {
        Some(d) if d == used => return Ok(used),
        Some(d) => format!(
            "declared {} by {source}, but its text is {used_name}: read as {used_name}",
            encoding_name(d)
        ),
        None if source.is_empty() => format!(
            "no encoding declared (no .cpg, no `encoding` in package.yaml); its text is {used_name}: read as {used_name}"
        ),
        None => format!("encoding declared by {source}; its text is {used_name}: read as {used_name}"),
    };
    notes.push(InputNote {
        path: crate::package::rel(parts.dbf.path),
        message,
    });
    Ok(used)
}
