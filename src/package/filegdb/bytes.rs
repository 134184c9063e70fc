//! A bounds-checked reader over a byte slice: every read that would pass the end is an error,
//! so a size or count taken from the file is never trusted beyond the bytes that are there.

/// Reads little-endian values and the format's variable-length integers from a slice.
#[derive(Debug, Clone)]
pub(super) struct Bytes<'a> {
    data: &'a [u8],
    pos: usize,
}

/// What ran out: names the thing being read in the error.
fn short(what: &str, need: usize, have: usize) -> String {
    format!("truncated: {what} needs {need} byte(s), {have} left")
}

impl<'a> Bytes<'a> {
    pub(super) fn new(data: &'a [u8]) -> Bytes<'a> {
        Bytes { data, pos: 0 }
    }

    /// The bytes not yet read.
    pub(super) fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// The next byte without consuming it.
    pub(super) fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    pub(super) fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        if n > self.remaining() {
            return Err(short(what, n, self.remaining()));
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], String> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N, what)?);
        Ok(a)
    }

    pub(super) fn u8(&mut self, what: &str) -> Result<u8, String> {
        Ok(self.array::<1>(what)?[0])
    }

    pub(super) fn u16(&mut self, what: &str) -> Result<u16, String> {
        self.array(what).map(u16::from_le_bytes)
    }

    pub(super) fn i16(&mut self, what: &str) -> Result<i16, String> {
        self.array(what).map(i16::from_le_bytes)
    }

    pub(super) fn u32(&mut self, what: &str) -> Result<u32, String> {
        self.array(what).map(u32::from_le_bytes)
    }

    pub(super) fn i32(&mut self, what: &str) -> Result<i32, String> {
        self.array(what).map(i32::from_le_bytes)
    }

    pub(super) fn i64(&mut self, what: &str) -> Result<i64, String> {
        self.array(what).map(i64::from_le_bytes)
    }

    pub(super) fn u64(&mut self, what: &str) -> Result<u64, String> {
        self.array(what).map(u64::from_le_bytes)
    }

    pub(super) fn f32(&mut self, what: &str) -> Result<f32, String> {
        self.array(what).map(f32::from_le_bytes)
    }

    pub(super) fn f64(&mut self, what: &str) -> Result<f64, String> {
        self.array(what).map(f64::from_le_bytes)
    }

    /// An unsigned variable-length integer: 7 bits a byte, least significant first, the high
    /// bit set on every byte but the last.
    pub(super) fn varuint(&mut self, what: &str) -> Result<u64, String> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8(what)?;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(format!(
            "{what}: a variable-length integer longer than 64 bits"
        ))
    }

    /// A signed variable-length integer: the first byte holds 6 bits and the sign (0x40), the
    /// following bytes 7 bits each.
    pub(super) fn varint(&mut self, what: &str) -> Result<i64, String> {
        let b = self.u8(what)?;
        let negative = b & 0x40 != 0;
        let mut value = u64::from(b & 0x3f);
        let mut more = b & 0x80 != 0;
        let mut shift = 6;
        while more {
            if shift >= 64 {
                return Err(format!(
                    "{what}: a variable-length integer longer than 64 bits"
                ));
            }
            let b = self.u8(what)?;
            value |= u64::from(b & 0x7f) << shift;
            more = b & 0x80 != 0;
            shift += 7;
        }
        let value = i64::try_from(value)
            .map_err(|_| format!("{what}: {value} does not fit a signed 64-bit integer"))?;
        Ok(if negative { -value } else { value })
    }

    /// A count read as a variable-length integer, refused when it exceeds `max`.
    pub(super) fn count(&mut self, what: &str, max: usize) -> Result<usize, String> {
        let n = self.varuint(what)?;
        match usize::try_from(n) {
            Ok(n) if n <= max => Ok(n),
            _ => Err(format!(
                "{what} is {n}, more than the {max} the bytes left can hold"
            )),
        }
    }

    /// `chars` UTF-16LE code units, decoded (unpaired surrogates are an error).
    pub(super) fn utf16(&mut self, chars: usize, what: &str) -> Result<String, String> {
        let raw = self.take(2 * chars, what)?;
        utf16(raw).map_err(|e| format!("{what}: {e}"))
    }
}

/// UTF-16LE bytes decoded; an odd length or an unpaired surrogate is an error.
pub(super) fn utf16(raw: &[u8]) -> Result<String, String> {
    if !raw.len().is_multiple_of(2) {
        return Err(format!(
            "UTF-16 text of an odd length ({} bytes)",
            raw.len()
        ));
    }
    let units = raw
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map_err(|e| format!("text that is not UTF-16 ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_length_integers() {
        assert_eq!(Bytes::new(&[0x05]).varuint("n"), Ok(5));
        assert_eq!(Bytes::new(&[0x96, 0x01]).varuint("n"), Ok(150));
        assert_eq!(Bytes::new(&[0x45]).varint("d"), Ok(-5));
        // 0x81: 1, more; 0x01 << 6 = 64: 65.
        assert_eq!(Bytes::new(&[0x81, 0x01]).varint("d"), Ok(65));
        assert_eq!(Bytes::new(&[0xc1, 0x01]).varint("d"), Ok(-65));
        assert!(Bytes::new(&[0x80]).varuint("n").is_err());
        assert!(Bytes::new(&[0xff; 12]).varuint("n").is_err());
        assert!(Bytes::new(&[0xff; 12]).varint("d").is_err());
    }

    #[test]
    fn reads_past_the_end_are_errors() {
        let mut b = Bytes::new(&[1, 2, 3]);
        assert_eq!(b.u16("a"), Ok(0x0201));
        assert_eq!(
            b.u32("the field count"),
            Err("truncated: the field count needs 4 byte(s), 1 left".into())
        );
        assert_eq!(
            utf16(&[0x3d, 0xd8]).unwrap_err(),
            "text that is not UTF-16 (unpaired surrogate found: d83d)"
        );
    }
}
