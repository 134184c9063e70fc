//! The `.dbf` attribute table: header, 32-byte field descriptors and fixed-width text
//! records, every size checked against the file's length.

use super::encoding::{decode, encoding_name, hex_preview, trim};
use super::{le_i32, Part};
use crate::package::columns::{Columns, Value, Values};
use crate::package::error::ReadError;
use crate::package::manifest::Encoding;
use std::path::Path;

pub(super) struct Field {
    pub(super) name: String,
    pub(super) kind: u8,
    pub(super) offset: usize,
    pub(super) length: usize,
    pub(super) decimals: u8,
}

pub(super) struct Dbf<'a> {
    pub(super) bytes: &'a [u8],
    pub(super) fields: Vec<Field>,
    pub(super) raw_names: Vec<&'a [u8]>,
    pub(super) records: usize,
    pub(super) header_len: usize,
    pub(super) record_len: usize,
    /// The language driver id (byte 29); 0x4D is code page 936 (GBK).
    pub(super) ldid: u8,
}

impl<'a> Dbf<'a> {
    pub(super) fn parse(frame: &str, part: Part<'a>) -> Result<Dbf<'a>, ReadError> {
        let b = part.bytes;
        let err = |m: String| ReadError::new(part.path, m).frame(frame);
        if b.len() < 32 {
            return Err(err(format!(
                "truncated: {} bytes, shorter than the 32-byte dBASE header",
                b.len()
            )));
        }
        let records = u32::from_le_bytes([b[4], b[5], b[6], b[7]]) as usize;
        let header_len = usize::from(u16::from_le_bytes([b[8], b[9]]));
        let record_len = usize::from(u16::from_le_bytes([b[10], b[11]]));
        if header_len < 33 || header_len > b.len() {
            return Err(err(format!(
                "not a dBASE file: header length {header_len}, file {} bytes",
                b.len()
            )));
        }
        let mut fields = Vec::new();
        let mut raw_names = Vec::new();
        let mut offset = 1; // the deletion flag
        let mut at = 32;
        while at + 32 <= header_len && b[at] != 0x0D {
            let d = &b[at..at + 32];
            let raw = &d[..11];
            let raw = &raw[..raw.iter().position(|&c| c == 0).unwrap_or(11)];
            let name = String::from_utf8_lossy(raw).trim().to_owned();
            let length = usize::from(d[16]);
            fields.push(Field {
                name,
                kind: d[11].to_ascii_uppercase(),
                offset,
                length,
                decimals: d[17],
            });
            raw_names.push(raw);
            offset += length;
            at += 32;
        }
        if offset > record_len {
            return Err(err(format!(
                "the fields need {offset} bytes per record, the header says records have {record_len}"
            )));
        }
        let needed = records
            .checked_mul(record_len)
            .and_then(|n| n.checked_add(header_len));
        if needed.is_none_or(|n| n > b.len()) {
            return Err(err(format!(
                "truncated: {records} records of {record_len} bytes after a {header_len}-byte header do not fit in {} bytes",
                b.len()
            )));
        }
        Ok(Dbf {
            bytes: b,
            fields,
            raw_names,
            records,
            header_len,
            record_len,
            ldid: b[29],
        })
    }

    pub(super) fn record(&self, row: usize) -> &'a [u8] {
        let start = self.header_len + row * self.record_len;
        &self.bytes[start..start + self.record_len]
    }

    pub(super) fn cell(&self, row: usize, field: &Field) -> &'a [u8] {
        &self.record(row)[field.offset..field.offset + field.length]
    }

    /// Every text value's bytes (trimmed), with its row and field, and the field names.
    pub(super) fn texts(&self) -> impl Iterator<Item = (Option<usize>, &str, &'a [u8])> + '_ {
        let names = self
            .fields
            .iter()
            .zip(&self.raw_names)
            .map(|(f, raw)| (None, f.name.as_str(), *raw));
        let cells = (0..self.records).flat_map(move |row| {
            self.fields
                .iter()
                .filter(|f| {
                    !matches!(
                        f.kind,
                        b'N' | b'F' | b'D' | b'L' | b'I' | b'B' | b'O' | b'+' | b'Y' | b'T' | b'@'
                    )
                })
                .map(move |f| (Some(row), f.name.as_str(), trim(self.cell(row, f))))
        });
        names.chain(cells)
    }

    /// The attribute columns, typed from the field descriptors, and the count of records marked
    /// deleted.
    pub(super) fn columns(
        &self,
        frame: &str,
        path: &Path,
        encoding: Encoding,
    ) -> Result<(Columns, usize), ReadError> {
        let mut columns = Columns::default();
        let mut names = Vec::with_capacity(self.fields.len());
        for (f, raw) in self.fields.iter().zip(&self.raw_names) {
            let name =
                decode(raw, encoding).map_or_else(|| f.name.clone(), |n| n.trim().to_owned());
            let values = match f.kind {
                b'N' | b'F' if f.decimals == 0 => Values::Int(vec![]),
                b'N' | b'F' | b'B' | b'O' | b'Y' => Values::Float(vec![]),
                b'I' | b'+' => Values::Int(vec![]),
                b'L' => Values::Bool(vec![]),
                b'M' => {
                    return Err(ReadError::new(
                        path,
                        format!("memo field {name} is not supported (its text is in a .dbt file)"),
                    )
                    .frame(frame)
                    .field(&name))
                }
                _ => Values::text(),
            };
            columns
                .declare(&name, values)
                .map_err(|m| ReadError::new(path, format!("the header: {m}")).frame(frame))?;
            names.push(name);
        }
        let mut deleted = 0;
        for row in 0..self.records {
            if self.record(row)[0] == b'*' {
                deleted += 1;
            }
            for (f, name) in self.fields.iter().zip(&names) {
                let err = |m: String| {
                    ReadError::new(path, m)
                        .frame(frame)
                        .feature(row)
                        .field(name)
                };
                let raw = self.cell(row, f);
                let Some(value) = self.value(f, raw, encoding).map_err(err)? else {
                    continue;
                };
                columns.set(row, name, value).map_err(err)?;
            }
        }
        Ok((columns, deleted))
    }

    pub(super) fn value(
        &self,
        f: &Field,
        raw: &[u8],
        encoding: Encoding,
    ) -> Result<Option<Value<'static>>, String> {
        let text = || std::str::from_utf8(trim(raw)).map(str::trim);
        Ok(match f.kind {
            b'N' | b'F' => {
                let Ok(t) = text() else {
                    return Err(format!(
                        "number {:?} is not ASCII",
                        String::from_utf8_lossy(raw)
                    ));
                };
                if t.is_empty() || t.bytes().all(|c| c == b'*') {
                    return Ok(None);
                }
                if f.decimals == 0 {
                    if let Ok(i) = t.parse::<i64>() {
                        return Ok(Some(Value::Int(i)));
                    }
                }
                match t.parse::<f64>() {
                    Ok(v) => Some(Value::Float(v)),
                    Err(_) => return Err(format!("`{t}` is not a number")),
                }
            }
            b'D' => {
                let t = text().unwrap_or_default();
                if t.is_empty() || t.bytes().all(|c| c == b'0') {
                    return Ok(None);
                }
                if t.len() != 8 || !t.bytes().all(|c| c.is_ascii_digit()) {
                    return Err(format!("`{t}` is not a date YYYYMMDD"));
                }
                Some(Value::Str(
                    format!("{}-{}-{}", &t[..4], &t[4..6], &t[6..]).into(),
                ))
            }
            b'L' => match trim(raw).first() {
                Some(b'T' | b't' | b'Y' | b'y') => Some(Value::Bool(true)),
                Some(b'F' | b'f' | b'N' | b'n') => Some(Value::Bool(false)),
                _ => None,
            },
            b'I' | b'+' if raw.len() == 4 => Some(Value::Int(le_i32(raw, 0).into())),
            b'B' | b'O' if raw.len() == 8 => {
                let mut a = [0u8; 8];
                a.copy_from_slice(raw);
                Some(Value::Float(f64::from_le_bytes(a)))
            }
            b'I' | b'+' | b'B' | b'O' | b'Y' | b'T' | b'@' => {
                return Err(format!(
                    "binary field of type {} and {} bytes is not supported",
                    f.kind as char,
                    raw.len()
                ))
            }
            _ => {
                let t = trim(raw);
                if t.is_empty() {
                    return Ok(None);
                }
                match decode(t, encoding) {
                    Some(s) => Some(Value::Str(s.into())),
                    None => {
                        return Err(format!(
                            "bytes {} are not valid {}",
                            hex_preview(t),
                            encoding_name(encoding)
                        ))
                    }
                }
            }
        })
    }
}
