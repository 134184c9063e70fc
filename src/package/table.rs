//! CSV tables: decoded (UTF-8 or GBK, as the manifest says), then typed by the schema.

use std::collections::BTreeMap;
use std::path::Path;

use super::columns::{Columns, Value, Values, MAX_COLUMNS};
use super::error::ReadError;
use super::manifest::Encoding;
use super::BadCell;
use crate::schema::{FieldType, FrameDef};

pub(crate) struct DecodedTable {
    pub columns: Columns,
    pub rows: usize,
    pub bad_cells: Vec<BadCell>,
    /// Per numeric column, the most decimals a value was written with.
    pub decimals: BTreeMap<String, u32>,
}

/// Decimals as written: `1234.50` has two, which its float no longer shows.
pub(crate) fn written_decimals(raw: &str) -> u32 {
    let mantissa = raw.split(['e', 'E']).next().unwrap_or(raw);
    mantissa
        .split_once('.')
        .map_or(0, |(_, frac)| frac.len() as u32)
}

/// Decodes the whole file up front so a wrong encoding is reported with its line, not as mojibake
/// in a finding later.
fn decode(path: &Path, frame: &str, bytes: &[u8], encoding: Encoding) -> Result<String, ReadError> {
    if let Some(utf16) = utf16(bytes) {
        return Err(ReadError::new(
            path,
            format!(
                "the table is {utf16} text; nrqc reads CSV tables in UTF-8 or GBK: save it again \
                 as \"CSV UTF-8\" (or convert it, e.g. `iconv -f UTF-16 -t UTF-8`)"
            ),
        )
        .frame(frame));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let line_of = |offset: usize| bytes[..offset].iter().filter(|&&b| b == b'\n').count() + 1;
    match encoding {
        Encoding::Utf8 => std::str::from_utf8(bytes).map(str::to_owned).map_err(|e| {
            ReadError::new(
                path,
                format!(
                    "line {}: not valid UTF-8; if the table is GBK, declare `encoding: GBK` in package.yaml",
                    line_of(e.valid_up_to())
                ),
            )
            .frame(frame)
        }),
        Encoding::Gbk => encoding_rs::GBK
            .decode_without_bom_handling_and_without_replacement(bytes)
            .map(|s| s.into_owned())
            .ok_or_else(|| {
                ReadError::new(
                    path,
                    "not valid GBK text although package.yaml declares `encoding: GBK`",
                )
                .frame(frame)
            }),
    }
}

/// Names UTF-16 text by its byte order mark or, without one, by its zero bytes: UTF-8 and GBK
/// text holds none, and UTF-16 holds one in every ASCII character (Excel's "Unicode text").
fn utf16(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0xFF, 0xFE, ..] => return Some("UTF-16 (little-endian, byte order mark FF FE)"),
        [0xFE, 0xFF, ..] => return Some("UTF-16 (big-endian, byte order mark FE FF)"),
        _ => {}
    }
    let head = &bytes[..bytes.len().min(4096) & !1];
    let zeros = |parity: usize| {
        head.iter()
            .skip(parity)
            .step_by(2)
            .filter(|&&b| b == 0)
            .count()
    };
    let (even, odd) = (zeros(0), zeros(1));
    // ASCII letters, digits and commas have a zero byte on one side; a few CJK characters
    // (U+4E00 `一`) have one on the other.
    let one_sided = |a: usize, b: usize| a > head.len() / 32 && a > 4 * b;
    if one_sided(odd, even) {
        Some("UTF-16 (little-endian, without a byte order mark)")
    } else if one_sided(even, odd) {
        Some("UTF-16 (big-endian, without a byte order mark)")
    } else {
        None
    }
}

pub(crate) fn read_csv(
    path: &Path,
    frame: &str,
    bytes: &[u8],
    encoding: Encoding,
    def: Option<&FrameDef>,
) -> Result<DecodedTable, ReadError> {
    let text = decode(path, frame, bytes, encoding)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| ReadError::new(path, format!("unreadable header row: {e}")).frame(frame))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    let types: Vec<Option<FieldType>> = headers
        .iter()
        .map(|h| def.and_then(|d| d.fields.get(h)).map(|f| f.ty))
        .collect();
    let header_err = |m: String| ReadError::new(path, format!("header row: {m}")).frame(frame);
    if headers.len() > MAX_COLUMNS {
        return Err(header_err(format!(
            "{} columns; nrqc reads at most {MAX_COLUMNS} columns per table",
            headers.len()
        )));
    }
    let mut columns = Columns::default();
    for (name, ty) in headers.iter().zip(&types) {
        let values = match ty {
            Some(FieldType::Number) => Values::Float(vec![]),
            Some(FieldType::Integer) => Values::Int(vec![]),
            _ => Values::text(),
        };
        columns.declare(name, values).map_err(header_err)?;
    }
    let mut bad_cells = Vec::new();
    let mut decimals: BTreeMap<String, u32> = BTreeMap::new();
    let mut rows = 0;
    for (row, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(row + 2, |p| p.line() as usize);
            ReadError::new(path, format!("line {line}: {e}"))
                .frame(frame)
                .feature(row)
        })?;
        rows = row + 1;
        for ((name, ty), raw) in headers.iter().zip(&types).zip(record.iter()) {
            let raw = raw.trim();
            if raw.is_empty() {
                continue;
            }
            if *ty == Some(FieldType::Number) {
                let d = decimals.entry(name.clone()).or_default();
                *d = (*d).max(written_decimals(raw));
            }
            let value = match ty {
                Some(FieldType::Number) => raw.parse::<f64>().ok().map(Value::Float),
                Some(FieldType::Integer) => raw.parse::<i64>().ok().map(Value::Int),
                _ => Some(Value::Str(raw.into())),
            };
            match value {
                // `NaN` and `inf` parse, and are refused here with their line.
                Some(value) => columns.set(row, name, value).map_err(|m| {
                    let line = record.position().map_or(row + 2, |p| p.line() as usize);
                    ReadError::new(path, format!("line {line}: {m}"))
                        .frame(frame)
                        .feature(row)
                        .field(name)
                })?,
                // A value that does not fit its declared type is a data defect, not a reason to
                // stop reading: the `schema` check reports it.
                None => bad_cells.push(BadCell {
                    row,
                    field: name.clone(),
                    raw: raw.to_owned(),
                }),
            }
        }
    }
    Ok(DecodedTable {
        columns,
        rows,
        bad_cells,
        decimals,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::FieldDef;
    use std::collections::BTreeMap;

    fn def() -> FrameDef {
        let mut fields = BTreeMap::new();
        fields.insert(
            "MJ".to_owned(),
            FieldDef {
                ty: FieldType::Number,
                required: true,
                title: String::new(),
                codes: None,
            },
        );
        FrameDef {
            title: String::new(),
            geometry: None,
            required: true,
            may_be_empty: false,
            key: None,
            total_row: None,
            fields,
        }
    }

    #[test]
    fn gbk_table_is_decoded_and_typed() {
        let (bytes, _, _) = encoding_rs::GBK.encode("名称,MJ\n红线,12.50\n湿地,abc\n");
        let t = read_csv(Path::new("t.csv"), "T", &bytes, Encoding::Gbk, Some(&def())).unwrap();
        assert_eq!(t.rows, 2);
        assert_eq!(t.decimals["MJ"], 2);
        assert_eq!(
            t.bad_cells,
            vec![BadCell {
                row: 1,
                field: "MJ".into(),
                raw: "abc".into()
            }]
        );
        let df = t.columns.into_frame(t.rows).unwrap();
        let names = df.column("名称").unwrap().str().unwrap().clone();
        assert_eq!((names.get(0), names.get(1)), (Some("红线"), Some("湿地")));
    }

    #[test]
    fn gbk_bytes_declared_utf8_name_the_line() {
        let (bytes, _, _) = encoding_rs::GBK.encode("A,B\n1,2\n红线,3\n");
        let e = read_csv(Path::new("t.csv"), "T", &bytes, Encoding::Utf8, None)
            .err()
            .unwrap();
        assert!(e.message.starts_with("line 3: not valid UTF-8"), "{e}");
    }

    #[test]
    fn ragged_row_is_an_error_with_its_line() {
        let e = read_csv(
            Path::new("t.csv"),
            "T",
            b"A,B\n1,2\n3\n",
            Encoding::Utf8,
            None,
        )
        .err()
        .unwrap();
        assert!(e.message.starts_with("line 3:"), "{e}");
        assert_eq!(e.feature, Some(1));
    }
}
