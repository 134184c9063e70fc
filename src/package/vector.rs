//! Decoding vector layers (FlatGeobuf, GeoJSON) through geozero into geo geometries and
//! attribute columns.
//!
//! The geometry builder is ours rather than geozero's `GeoWriter` because geo-types closes rings
//! silently: a ring that is not closed in the file is a defect the producer must hear about, so it
//! is recorded here, before the geometry is built.

use std::io::Cursor;
use std::path::Path;

use geo::{
    Coord, Geometry, GeometryCollection, LineString, MultiLineString, MultiPoint, MultiPolygon,
    Point, Polygon,
};
use geozero::error::{GeozeroError, Result as GzResult};
use geozero::{ColumnValue, FeatureProcessor, GeomProcessor, GeozeroDatasource, PropertyProcessor};

use super::columns::{Columns, Value, Values};
use super::error::ReadError;
use super::{GeometryColumn, RawDefect};

/// What a layer file holds once decoded.
pub(crate) struct Decoded {
    pub geometry: GeometryColumn,
    pub columns: Columns,
    pub rows: usize,
}

/// Collects geo geometries, decode-time defects and attribute columns, feature by feature; every
/// vector reader (FlatGeobuf, GeoJSON, GeoPackage WKB) decodes through it.
#[derive(Default)]
pub(crate) struct Builder {
    columns: Columns,
    geoms: Vec<Option<Geometry<f64>>>,
    defects: Vec<(usize, RawDefect)>,
    feature: usize,
    rows: usize,
    /// The attribute error that stopped decoding, with its feature and field: the decoder's own
    /// error type cannot carry our place.
    attr_error: Option<(usize, String, String)>,
    // Geometry under construction.
    coords: Vec<Coord<f64>>,
    rings: Vec<LineString<f64>>,
    polygons: Vec<Polygon<f64>>,
    lines: Vec<LineString<f64>>,
    points: Vec<Point<f64>>,
    parts: Vec<Geometry<f64>>,
    /// Nesting depth of collections, so a part finishes into `parts` rather than the feature.
    collection_depth: usize,
    in_multi: bool,
}

impl Builder {
    /// Declares a column from the file's header, so that its type and place do not depend on the
    /// first value.
    pub(crate) fn declare(&mut self, name: &str, values: Values) -> Result<(), String> {
        self.columns.declare(name, values)
    }

    /// Records an attribute error of the current feature and stops decoding.
    fn attr_fault(&mut self, field: &str, message: String) -> GzResult<bool> {
        self.record_attr_error(field, message.clone());
        Err(GeozeroError::Property(message))
    }

    fn record_attr_error(&mut self, field: &str, message: String) {
        self.attr_error
            .get_or_insert((self.feature, field.to_owned(), message));
    }

    /// The error that stopped decoding: the attribute error recorded, if any, else the decoder's.
    pub(crate) fn error(&mut self, path: &Path, frame: &str, e: GeozeroError) -> ReadError {
        self.attr_error_at(path, frame).unwrap_or_else(|| {
            ReadError::new(path, e.to_string())
                .frame(frame)
                .feature(self.feature)
        })
    }

    /// A builder with this one's declared columns and nothing decoded.
    fn empty_like(&self) -> Builder {
        Builder {
            columns: self.columns.empty_like(),
            ..Builder::default()
        }
    }

    /// Adds what `other` decoded, its features numbered from `first` on; an error (a column
    /// whose values changed type) gives the feature where `other`'s values begin.
    fn append(&mut self, other: Builder, first: usize) -> Result<(), (usize, String)> {
        self.geoms.resize(first, None);
        self.geoms.extend(other.geoms);
        self.defects
            .extend(other.defects.into_iter().map(|(f, d)| (f + first, d)));
        self.rows = first + other.rows;
        self.feature = first + other.feature;
        self.columns
            .append(other.columns, first)
            .map_err(|m| (first, m))
    }

    fn attr_error_at(&mut self, path: &Path, frame: &str) -> Option<ReadError> {
        let (feature, field, message) = self.attr_error.take()?;
        Some(
            ReadError::new(path, message)
                .frame(frame)
                .feature(feature)
                .field(&field),
        )
    }

    fn finish(&mut self, g: Geometry<f64>) {
        if self.collection_depth > 0 {
            self.parts.push(g);
        } else {
            self.set_geometry(g);
        }
    }

    fn set_geometry(&mut self, g: Geometry<f64>) {
        if self.geoms.len() <= self.feature {
            self.geoms.resize(self.feature + 1, None);
        }
        self.geoms[self.feature] = Some(g);
    }

    fn take_ring(&mut self) -> LineString<f64> {
        let coords = std::mem::take(&mut self.coords);
        // Bitwise, so a ring closed on a NaN vertex is reported as an invalid coordinate only.
        let same = |a: &Coord<f64>, b: &Coord<f64>| {
            a.x.to_bits() == b.x.to_bits() && a.y.to_bits() == b.y.to_bits()
        };
        let closed = match (coords.first(), coords.last()) {
            (Some(a), Some(b)) => same(a, b),
            _ => true,
        };
        if !closed && coords.len() > 1 {
            let ring = self.rings.len();
            self.defects
                .push((self.feature, RawDefect::RingNotClosed { ring }));
        }
        LineString::new(coords)
    }
}

/// Deeper nesting than any survey layer has, and shallow enough for any stack.
const MAX_COLLECTION_DEPTH: usize = 16;

impl GeomProcessor for Builder {
    fn xy(&mut self, x: f64, y: f64, _idx: usize) -> GzResult<()> {
        self.coords.push(Coord { x, y });
        Ok(())
    }

    fn coordinate(
        &mut self,
        x: f64,
        y: f64,
        _z: Option<f64>,
        _m: Option<f64>,
        _t: Option<f64>,
        _tm: Option<u64>,
        idx: usize,
    ) -> GzResult<()> {
        self.xy(x, y, idx)
    }

    fn empty_point(&mut self, _idx: usize) -> GzResult<()> {
        if !self.in_multi {
            self.finish(Geometry::MultiPoint(MultiPoint::new(vec![])));
        }
        Ok(())
    }

    fn point_end(&mut self, _idx: usize) -> GzResult<()> {
        let p = self.coords.pop().map(Point::from);
        self.coords.clear();
        match (p, self.in_multi) {
            (Some(p), true) => self.points.push(p),
            (Some(p), false) => self.finish(Geometry::Point(p)),
            (None, _) => {}
        }
        Ok(())
    }

    fn multipoint_begin(&mut self, _size: usize, _idx: usize) -> GzResult<()> {
        self.in_multi = true;
        Ok(())
    }

    fn multipoint_end(&mut self, _idx: usize) -> GzResult<()> {
        self.in_multi = false;
        // Multipoints arrive as bare coordinates in some encoders and as points in others.
        let mut points = std::mem::take(&mut self.points);
        points.extend(self.coords.drain(..).map(Point::from));
        self.finish(Geometry::MultiPoint(MultiPoint::new(points)));
        Ok(())
    }

    fn linestring_begin(&mut self, _tagged: bool, size: usize, _idx: usize) -> GzResult<()> {
        // Sized once rather than grown by doubling: a million rings of a dozen vertices held a
        // third more than their coordinates. `size` comes from the file, so a hostile count
        // reserves a bounded amount and the vector grows past it as vertices arrive.
        self.coords.reserve_exact(size.min(1 << 16));
        Ok(())
    }

    fn linestring_end(&mut self, tagged: bool, _idx: usize) -> GzResult<()> {
        if tagged {
            let line = LineString::new(std::mem::take(&mut self.coords));
            self.finish(Geometry::LineString(line));
        } else if self.in_multi {
            self.lines
                .push(LineString::new(std::mem::take(&mut self.coords)));
        } else {
            let ring = self.take_ring();
            self.rings.push(ring);
        }
        Ok(())
    }

    fn multilinestring_begin(&mut self, _size: usize, _idx: usize) -> GzResult<()> {
        self.in_multi = true;
        Ok(())
    }

    fn multilinestring_end(&mut self, _idx: usize) -> GzResult<()> {
        self.in_multi = false;
        let lines = std::mem::take(&mut self.lines);
        self.finish(Geometry::MultiLineString(MultiLineString::new(lines)));
        Ok(())
    }

    fn polygon_begin(&mut self, _tagged: bool, _size: usize, _idx: usize) -> GzResult<()> {
        // Rings of a polygon inside a multipolygon are not lines of a multilinestring.
        self.rings.clear();
        Ok(())
    }

    fn polygon_end(&mut self, tagged: bool, _idx: usize) -> GzResult<()> {
        let mut rings = std::mem::take(&mut self.rings).into_iter();
        let exterior = rings.next().unwrap_or_else(|| LineString::new(vec![]));
        let polygon = Polygon::new(exterior, rings.collect());
        if tagged {
            self.finish(Geometry::Polygon(polygon));
        } else {
            self.polygons.push(polygon);
        }
        Ok(())
    }

    fn multipolygon_begin(&mut self, _size: usize, _idx: usize) -> GzResult<()> {
        Ok(())
    }

    fn multipolygon_end(&mut self, _idx: usize) -> GzResult<()> {
        let polygons = std::mem::take(&mut self.polygons);
        self.finish(Geometry::MultiPolygon(MultiPolygon::new(polygons)));
        Ok(())
    }

    fn geometrycollection_begin(&mut self, _size: usize, _idx: usize) -> GzResult<()> {
        // WKB decoders recurse per nesting level: a blob of nested collection headers must not
        // overflow the stack.
        if self.collection_depth >= MAX_COLLECTION_DEPTH {
            return Err(GeozeroError::Geometry(format!(
                "geometry collections nested deeper than {MAX_COLLECTION_DEPTH} levels"
            )));
        }
        self.collection_depth += 1;
        Ok(())
    }

    fn geometrycollection_end(&mut self, _idx: usize) -> GzResult<()> {
        self.collection_depth = self.collection_depth.saturating_sub(1);
        let parts = std::mem::take(&mut self.parts);
        self.finish(Geometry::GeometryCollection(GeometryCollection::new_from(
            parts,
        )));
        Ok(())
    }
}

impl PropertyProcessor for Builder {
    fn property(&mut self, _idx: usize, name: &str, value: &ColumnValue) -> GzResult<bool> {
        let value = match *value {
            ColumnValue::Byte(v) => Value::Int(v.into()),
            ColumnValue::UByte(v) => Value::Int(v.into()),
            ColumnValue::Bool(v) => Value::Bool(v),
            ColumnValue::Short(v) => Value::Int(v.into()),
            ColumnValue::UShort(v) => Value::Int(v.into()),
            ColumnValue::Int(v) => Value::Int(v.into()),
            ColumnValue::UInt(v) => Value::Int(v.into()),
            ColumnValue::Long(v) => Value::Int(v),
            ColumnValue::ULong(v) => match i64::try_from(v) {
                Ok(v) => Value::Int(v),
                Err(_) => Value::Float(v as f64),
            },
            ColumnValue::Float(v) => Value::Float(v.into()),
            ColumnValue::Double(v) => Value::Float(v),
            ColumnValue::String(s) | ColumnValue::Json(s) | ColumnValue::DateTime(s) => {
                Value::Str(s.into())
            }
            ColumnValue::Binary(_) => {
                return self.attr_fault(name, "binary attribute values are not supported".into())
            }
        };
        match self.columns.set(self.feature, name, value) {
            Ok(()) => Ok(false),
            Err(message) => self.attr_fault(name, message),
        }
    }
}

impl FeatureProcessor for Builder {
    fn feature_begin(&mut self, idx: u64) -> GzResult<()> {
        self.feature = usize::try_from(idx).map_err(|_| GeozeroError::Feature(idx.to_string()))?;
        self.rows = self.rows.max(self.feature + 1);
        Ok(())
    }
}

pub(crate) fn finish(mut builder: Builder, crs: super::LayerCrs) -> Decoded {
    builder.geoms.resize(builder.rows, None);
    Decoded {
        geometry: GeometryColumn {
            geoms: builder.geoms,
            defects: builder.defects,
            crs,
        },
        columns: builder.columns,
        rows: builder.rows,
    }
}

/// Reads a FlatGeobuf file already in memory.
pub(crate) fn read_fgb(path: &Path, frame: &str, bytes: &[u8]) -> Result<Decoded, ReadError> {
    read_fgb_in(path, frame, bytes, FGB_CHUNK)
}

/// Features decoded together: a large layer is decoded in runs of this many features on all
/// threads (a million parcels took 2.7 s on one), a small one in one run.
const FGB_CHUNK: usize = 1 << 16;

/// [`read_fgb`] in runs of `chunk` features.
fn read_fgb_in(path: &Path, frame: &str, bytes: &[u8], chunk: usize) -> Result<Decoded, ReadError> {
    use flatgeobuf::FgbReader;
    use rayon::prelude::*;
    let err = |message: String| ReadError::new(path, message).frame(frame);
    let layout = check_fgb_layout(bytes).map_err(err)?;
    let reader = FgbReader::open(Cursor::new(bytes))
        .map_err(|e| err(format!("not a readable FlatGeobuf file: {e}")))?;
    let header = reader.header();
    let text = header.crs().and_then(|c| c.wkt()).map(str::to_owned);
    let crs = super::LayerCrs {
        // A header may carry only the WKT (code 0), as a shapefile's .prj does.
        epsg: header
            .crs()
            .and_then(|c| u32::try_from(c.code()).ok())
            .filter(|&c| c != 0)
            .or_else(|| text.as_deref().and_then(crate::geom::wkt::epsg_of_wkt)),
        text,
    };
    let mut declared = Builder::default();
    let mut columns = Vec::new();
    for column in header.columns().into_iter().flatten() {
        let (name, ty) = (column.name(), column.type_());
        let values = fgb_column_values(ty).ok_or_else(|| {
            err(format!(
                "unknown column type {} for column `{name}` in the header",
                ty.0
            ))
        })?;
        declared
            .declare(name, values)
            .map_err(|m| err(format!("header: {m}")))?;
        columns.push((name.to_owned(), ty));
    }
    let geometry_type = header.geometry_type();
    // Each run is read as a file of its own: the header and index, then its features.
    let head = &bytes[..layout.features];
    let chunk = chunk.max(1);
    let runs: Vec<(usize, &[u8])> = layout
        .starts
        .chunks(chunk)
        .enumerate()
        .map(|(n, starts)| {
            let end = layout
                .starts
                .get((n + 1).saturating_mul(chunk))
                .copied()
                .unwrap_or(bytes.len());
            (n * chunk, &bytes[starts[0]..end])
        })
        .collect();
    let decode = |body: &[u8]| -> Result<Builder, RunFault> {
        let mut builder = declared.empty_like();
        let mut features = FgbReader::open(std::io::Read::chain(head, body))
            .and_then(FgbReader::select_all_seq)
            .map_err(|e| (None, format!("truncated or corrupt FlatGeobuf index: {e}")))?;
        // The flatgeobuf crate trusts the lengths inside a feature (property values, ring ends)
        // and panics on a corrupt one; they are checked first, and a panic that still happens is
        // this file's error, not nrqc's.
        let processed = quiet_catch(|| {
            process_fgb_features(&mut features, &mut builder, &columns, geometry_type)
        })
        .unwrap_or_else(|panic| Err(format!("corrupt feature data ({panic})")));
        match processed {
            Ok(()) => Ok(builder),
            Err(message) => Err((Some(Box::new(builder)), message)),
        }
    };
    let decoded: Vec<Result<Builder, RunFault>> = if runs.len() > 1 {
        runs.par_iter().map(|(_, body)| decode(body)).collect()
    } else {
        runs.iter().map(|(_, body)| decode(body)).collect()
    };
    // The first run that failed holds the file's first fault, as one pass would have met it.
    let mut whole = declared;
    whole.geoms.reserve_exact(layout.starts.len());
    for ((first, _), run) in runs.iter().zip(decoded) {
        match run {
            Ok(builder) => whole
                .append(builder, *first)
                .map_err(|(feature, m)| err(m).feature(feature))?,
            Err((None, message)) => return Err(err(message)),
            Err((Some(mut builder), message)) => {
                return Err(match builder.attr_error_at(path, frame) {
                    Some(e) => e.feature(first + builder.feature),
                    None => err(format!(
                        "truncated or corrupt FlatGeobuf feature: {message}"
                    ))
                    .feature(first + builder.feature),
                })
            }
        }
    }
    Ok(finish(whole, crs))
}

/// The column a FlatGeobuf column type gives; `None` for a type the format does not define.
fn fgb_column_values(ty: flatgeobuf::ColumnType) -> Option<Values> {
    use flatgeobuf::ColumnType;
    Some(match ty {
        ColumnType::Float | ColumnType::Double => Values::Float(vec![]),
        ColumnType::String | ColumnType::Json | ColumnType::DateTime | ColumnType::Binary => {
            Values::text()
        }
        ColumnType::Bool => Values::Bool(vec![]),
        ColumnType::Byte
        | ColumnType::UByte
        | ColumnType::Short
        | ColumnType::UShort
        | ColumnType::Int
        | ColumnType::UInt
        | ColumnType::Long
        | ColumnType::ULong => Values::Int(vec![]),
        _ => return None,
    })
}

/// Every feature into `builder`, as geozero's `process` does, except that a feature without
/// geometry (GDAL writes one for a null geometry; the flatgeobuf crate refuses it) is a row with
/// a null geometry, as in GeoJSON and GeoPackage layers. Each feature's property values and ring
/// ends are checked before the flatgeobuf crate reads them. An attribute error is recorded in
/// `builder`; the error text is what went wrong otherwise.
fn process_fgb_features<R: std::io::Read>(
    features: &mut flatgeobuf::FeatureIter<R, flatgeobuf::NotSeekable>,
    builder: &mut Builder,
    columns: &[(String, flatgeobuf::ColumnType)],
    geometry_type: flatgeobuf::GeometryType,
) -> Result<(), String> {
    use flatgeobuf::FallibleStreamingIterator;
    use geozero::{FeatureProperties, GeozeroGeometry};
    let mut idx = 0u64;
    let gz = |e: GeozeroError| e.to_string();
    while let Some(feature) = features.next().map_err(|e| e.to_string())? {
        builder.feature_begin(idx).map_err(gz)?;
        if let Some(properties) = feature.fbs_feature().properties() {
            if let Err((field, message)) = check_fgb_properties(properties.bytes(), columns) {
                if let Some(field) = field {
                    builder.record_attr_error(field, message.clone());
                }
                return Err(message);
            }
        }
        builder.properties_begin().map_err(gz)?;
        feature.process_properties(builder).map_err(gz)?;
        builder.properties_end().map_err(gz)?;
        if let Some(geometry) = feature.geometry() {
            check_fgb_geometry(&geometry, geometry_type)?;
            builder.geometry_begin().map_err(gz)?;
            feature.process_geom(builder).map_err(gz)?;
            builder.geometry_end().map_err(gz)?;
        }
        builder.feature_end(idx).map_err(gz)?;
        idx += 1;
    }
    Ok(())
}

/// Walks a feature's property buffer as the flatgeobuf crate reads it (a u16 column index, then
/// the value: fixed-size, or a u32 length and that many bytes) and checks every index, length
/// and text. The error names the field where it is known.
fn check_fgb_properties<'c>(
    bytes: &[u8],
    columns: &'c [(String, flatgeobuf::ColumnType)],
) -> Result<(), (Option<&'c str>, String)> {
    use flatgeobuf::ColumnType;
    let mut at = 0;
    // As the crate reads: it stops with one byte left (files exist with a byte after the last
    // value).
    while at + 1 < bytes.len() {
        let column = usize::from(u16::from_le_bytes([bytes[at], bytes[at + 1]]));
        at += 2;
        let Some((name, ty)) = columns.get(column) else {
            return Err((
                None,
                format!(
                    "a value for column index {column}, but the header declares {}",
                    match columns.len() {
                        0 => "no column".to_owned(),
                        n => format!("columns 0 to {}", n - 1),
                    }
                ),
            ));
        };
        let field = Some(name.as_str());
        let left = bytes.len() - at;
        let cut = |needed: usize| {
            (
                field,
                format!(
                    "truncated or corrupt FlatGeobuf feature: the value needs {needed} bytes, \
                     the feature has {left} left"
                ),
            )
        };
        let size = match *ty {
            ColumnType::Byte | ColumnType::UByte | ColumnType::Bool => 1,
            ColumnType::Short | ColumnType::UShort => 2,
            ColumnType::Int | ColumnType::UInt | ColumnType::Float => 4,
            ColumnType::Long | ColumnType::ULong | ColumnType::Double => 8,
            _ => {
                if left < 4 {
                    return Err(cut(4));
                }
                let len = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
                if len > left - 4 {
                    return Err(cut(4 + len));
                }
                let value = &bytes[at + 4..at + 4 + len];
                if *ty != ColumnType::Binary {
                    if let Err(e) = std::str::from_utf8(value) {
                        return Err((
                            field,
                            format!(
                                "the text is not valid UTF-8 (invalid byte at offset {} of the \
                                 value); FlatGeobuf text is UTF-8",
                                e.valid_up_to()
                            ),
                        ));
                    }
                }
                4 + len
            }
        };
        if size > left {
            return Err(cut(size));
        }
        at += size;
    }
    Ok(())
}

/// Checks what the flatgeobuf crate indexes without checking: an even count of xy values, and
/// ring (or line) ends in order and within the vertices, in the geometry and all its parts.
fn check_fgb_geometry(
    geometry: &flatgeobuf::Geometry,
    geometry_type: flatgeobuf::GeometryType,
) -> Result<(), String> {
    use flatgeobuf::GeometryType;
    let ty = if geometry_type == GeometryType::Unknown {
        geometry.type_()
    } else {
        geometry_type
    };
    let xy = geometry.xy().map_or(0, |xy| xy.len());
    if !xy.is_multiple_of(2) {
        return Err(format!(
            "the geometry has {xy} coordinate values, an odd number (x and y come in pairs)"
        ));
    }
    let vertices = xy / 2;
    if ty == GeometryType::Point && geometry.xy().is_some() && vertices == 0 {
        return Err("a point without coordinates".into());
    }
    let what = match ty {
        GeometryType::Polygon | GeometryType::MultiPolygon => "ring",
        _ => "part",
    };
    let mut previous = 0;
    for (i, end) in geometry.ends().into_iter().flatten().enumerate() {
        let end = end as usize;
        if end > vertices {
            return Err(format!(
                "{what} {} ends at vertex {end}, but the geometry has {vertices} vertices",
                i + 1
            ));
        }
        if end < previous {
            return Err(format!(
                "{what} {} ends at vertex {end}, before the {what} ahead of it (at vertex {previous})",
                i + 1
            ));
        }
        previous = end;
    }
    for part in geometry.parts().into_iter().flatten() {
        check_fgb_geometry(&part, ty_of_part(ty))?;
    }
    Ok(())
}

/// The type a part of a `ty` geometry is read as.
fn ty_of_part(ty: flatgeobuf::GeometryType) -> flatgeobuf::GeometryType {
    use flatgeobuf::GeometryType;
    match ty {
        GeometryType::MultiPolygon => GeometryType::Polygon,
        _ => GeometryType::Unknown,
    }
}

thread_local! {
    static QUIET_PANICS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` and returns its panic's message as an error, without the panic hook printing it:
/// the hook installed here stays silent on a thread inside `quiet_catch` and hands every other
/// panic to the hook it replaced.
fn quiet_catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET_PANICS.with(|q| q.get()) {
                previous(info);
            }
        }));
    });
    let was = QUIET_PANICS.with(|q| q.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET_PANICS.with(|q| q.set(was));
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic in the FlatGeobuf decoder".into())
    })
}

/// The smallest feature record: its 4-byte size prefix and an empty flatbuffer table (root
/// offset, vtable offset and a 4-byte vtable).
const FGB_MIN_FEATURE: u64 = 4 + 12;

/// Checks the sizes and counts a FlatGeobuf file declares against its length before the
/// flatgeobuf crate sees it: the crate allocates the header buffer from the declared header size,
/// each feature's buffer from its u32 size prefix (up to 4 GiB zeroed for a 16-byte file), and
/// computes the index size from `features_count` without checking for overflow or for a node
/// size of 1 (it asserts). A file that fails here is truncated or corrupt, whatever it claims.
fn check_fgb_layout(bytes: &[u8]) -> Result<FgbLayout, String> {
    const MAGIC: [u8; 3] = *b"fgb";
    let len = bytes.len() as u64;
    if bytes.len() < 12 || bytes[..3] != MAGIC || bytes[4..7] != MAGIC {
        return Err("not a readable FlatGeobuf file: no `fgb` magic bytes".into());
    }
    let header_size = u64::from(u32::from_le_bytes(bytes[8..12].try_into().unwrap()));
    if header_size < 8 || 12 + header_size > len {
        return Err(format!(
            "not a readable FlatGeobuf file: the header declares {header_size} bytes, \
             the file has {} after the magic bytes",
            len - 12
        ));
    }
    let header_end = 12 + header_size;
    let header = flatgeobuf::size_prefixed_root_as_header(&bytes[8..header_end as usize])
        .map_err(|e| format!("not a readable FlatGeobuf file: corrupt header: {e}"))?;
    let count = header.features_count();
    let node_size = u64::from(header.index_node_size());
    let body = len - header_end;
    if count > body / FGB_MIN_FEATURE {
        return Err(format!(
            "the header declares {count} features, more than the {body} bytes after it can hold; \
             the file is truncated or corrupt"
        ));
    }
    let index_size = if node_size > 0 && count > 0 {
        if node_size < 2 {
            return Err("corrupt FlatGeobuf header: index node size 1 (at least 2)".into());
        }
        // The packed R-tree: every level's nodes, 40 bytes each (flatgeobuf's NodeItem).
        // At least one level above the leaves, even for one feature: the root node (GDAL and
        // flatgeobuf both write 2 nodes for a one-feature layer).
        let mut n = count;
        let mut nodes = count;
        loop {
            n = n.div_ceil(node_size);
            nodes += n;
            if n <= 1 {
                break;
            }
        }
        nodes * 40
    } else {
        0
    };
    if index_size > body {
        return Err(format!(
            "truncated or corrupt FlatGeobuf index: the header's {count} features need an index \
             of {index_size} bytes, the file has {body} after the header"
        ));
    }
    // Walk the size prefixes: every feature must end inside the file.
    let mut at = header_end + index_size;
    let mut layout = FgbLayout {
        features: at as usize,
        starts: Vec::new(),
    };
    let mut features: u64 = 0;
    while at < len {
        layout.starts.push(at as usize);
        if len - at < 4 {
            return Err(format!(
                "truncated FlatGeobuf feature {features}: {} stray bytes at the end",
                len - at
            ));
        }
        let i = at as usize;
        let size = u64::from(u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap()));
        if size > len - at - 4 {
            return Err(format!(
                "truncated or corrupt FlatGeobuf feature {features}: it declares {size} bytes, \
                 the file has {} left",
                len - at - 4
            ));
        }
        at += 4 + size;
        features += 1;
    }
    if count != 0 && features != count {
        return Err(format!(
            "truncated or corrupt FlatGeobuf file: the header declares {count} features, \
             the file holds {features}"
        ));
    }
    Ok(layout)
}

/// Why a run of features stopped: what it decoded up to the fault (`None` when it could not
/// start), and the decoder's message.
type RunFault = (Option<Box<Builder>>, String);

/// Where a FlatGeobuf file's features are, once its sizes are checked.
struct FgbLayout {
    /// Offset of the first feature: the magic bytes, header and index come before it.
    features: usize,
    /// Offset of each feature.
    starts: Vec<usize>,
}

/// Reads a GeoJSON FeatureCollection already in memory.
pub(crate) fn read_geojson(path: &Path, frame: &str, bytes: &[u8]) -> Result<Decoded, ReadError> {
    let err = |message: String| ReadError::new(path, message).frame(frame);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        err(format!(
            "GeoJSON must be UTF-8 (RFC 7946); invalid byte at offset {}",
            e.valid_up_to()
        ))
    })?;
    let crs = geojson_crs(text).map_err(|e| err(format!("not valid GeoJSON: {e}")))?;
    let mut builder = Builder::default();
    geozero::geojson::GeoJson(text)
        .process(&mut builder)
        .map_err(|e| builder.error(path, frame, e))?;
    Ok(finish(builder, crs))
}

/// The legacy `crs` member (GeoJSON 2008), which Chinese deliveries still carry because RFC 7946
/// allows only WGS 84.
fn geojson_crs(text: &str) -> Result<super::LayerCrs, serde_json::Error> {
    #[derive(serde::Deserialize)]
    struct Head {
        crs: Option<CrsMember>,
    }
    #[derive(serde::Deserialize)]
    struct CrsMember {
        properties: Option<CrsProps>,
    }
    #[derive(serde::Deserialize)]
    struct CrsProps {
        name: Option<String>,
    }
    let head: Head = serde_json::from_str(text)?;
    let name = head.crs.and_then(|c| c.properties).and_then(|p| p.name);
    Ok(super::LayerCrs {
        epsg: name
            .as_deref()
            .and_then(|n| super::manifest::parse_epsg(n).or_else(|| is_crs84(n).then_some(4326))),
        text: name,
    })
}

/// OGC's CRS84 (WGS 84 in longitude, latitude order), the name GDAL writes for EPSG:4326 in
/// GeoJSON: it must read as EPSG:4326, not as no declaration, or a layer delivered in WGS 84
/// would be checked as if in the manifest's CRS.
fn is_crs84(name: &str) -> bool {
    let name = name.trim().to_ascii_uppercase();
    [
        "URN:OGC:DEF:CRS:OGC:1.3:CRS84",
        "URN:OGC:DEF:CRS:OGC::CRS84",
        "OGC:CRS84",
        "CRS84",
    ]
    .contains(&name.as_str())
        || name.ends_with("/DEF/CRS/OGC/1.3/CRS84")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unclosed_ring_is_recorded_and_closed() {
        let json = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{"BSM":"1","MJ":2},
             "geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}},
            {"type":"Feature","properties":{"BSM":"2"},"geometry":null}]}"#;
        let d = read_geojson(Path::new("x.geojson"), "X", json.as_bytes()).unwrap();
        assert_eq!(d.rows, 2);
        assert_eq!(
            d.geometry.defects,
            vec![(0, RawDefect::RingNotClosed { ring: 0 })]
        );
        assert!(matches!(d.geometry.geoms[0], Some(Geometry::Polygon(_))));
        assert!(d.geometry.geoms[1].is_none());
    }

    #[test]
    fn type_conflict_names_feature_and_field() {
        let json = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{"MJ":2.5},"geometry":null},
            {"type":"Feature","properties":{"MJ":"abc"},"geometry":null}]}"#;
        let e = read_geojson(Path::new("x.geojson"), "X", json.as_bytes())
            .err()
            .unwrap();
        assert_eq!(e.feature, Some(1));
        assert_eq!(e.field.as_deref(), Some("MJ"));
    }

    /// A layer decoded in runs on several threads is the layer decoded in one pass: its rows,
    /// geometries, defects and columns, and the first fault of a corrupt file with its feature
    /// and field.
    #[test]
    fn runs_decode_as_one_pass() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let layer = |name: &str| std::fs::read(dir.join(name)).unwrap();
        for name in [
            "fixtures/622923_永靖县_defective/vector/ZRZK.fgb",
            "fixtures/622923_永靖县_defective/vector/ZRZYDJDY.fgb",
        ] {
            let bytes = layer(name);
            let one = read_fgb_in(Path::new(name), "X", &bytes, usize::MAX).unwrap();
            assert!(one.rows > 7, "{name}");
            for chunk in [1, 2, 7] {
                let runs = read_fgb_in(Path::new(name), "X", &bytes, chunk).unwrap();
                assert_eq!(runs.rows, one.rows, "{name} {chunk}");
                assert_eq!(runs.geometry.geoms, one.geometry.geoms, "{name} {chunk}");
                assert_eq!(
                    runs.geometry.defects, one.geometry.defects,
                    "{name} {chunk}"
                );
                let frame = |d: Decoded| d.columns.into_frame(d.rows).unwrap();
                assert!(
                    frame(runs).equals_missing(&frame(
                        read_fgb_in(Path::new(name), "X", &bytes, usize::MAX).unwrap()
                    )),
                    "{name} {chunk}"
                );
            }
        }
        // A text made invalid UTF-8 in the sixth parcel: the fault of a later run.
        let mut corrupt = layer("fixtures/622923_永靖县_defective/vector/ZRZK.fgb");
        let starts = check_fgb_layout(&corrupt).unwrap().starts;
        let sixth = &mut corrupt[starts[5]..starts[6]];
        let at = sixth.windows(6).position(|w| w == b"622923").unwrap();
        sixth[at] = 0xFF;
        let one = read_fgb_in(Path::new("ZRZK.fgb"), "X", &corrupt, usize::MAX)
            .err()
            .unwrap();
        assert_eq!(one.feature, Some(5));
        assert!(one.field.is_some());
        for chunk in [1, 2, 4] {
            let runs = read_fgb_in(Path::new("ZRZK.fgb"), "X", &corrupt, chunk)
                .err()
                .unwrap();
            assert_eq!(format!("{runs:?}"), format!("{one:?}"), "{chunk}");
        }
        for name in [
            "tests/malformed/fgb_invalid_utf8.fgb",
            "tests/malformed/fgb_feature_size.fgb",
            "tests/malformed/fgb_ring_ends.fgb",
            "tests/malformed/fgb_column_index.fgb",
        ] {
            let bytes = layer(name);
            let one = read_fgb_in(Path::new(name), "X", &bytes, usize::MAX)
                .err()
                .unwrap();
            for chunk in [1, 2] {
                let runs = read_fgb_in(Path::new(name), "X", &bytes, chunk)
                    .err()
                    .unwrap();
                assert_eq!(format!("{runs:?}"), format!("{one:?}"), "{name} {chunk}");
            }
        }
    }

    #[test]
    fn crs_member_is_read() {
        let json = r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4522"}},"features":[]}"#;
        let d = read_geojson(Path::new("x.geojson"), "X", json.as_bytes()).unwrap();
        assert_eq!(d.geometry.crs.epsg, Some(4522));
    }

    /// GDAL writes EPSG:4326 as CRS84 (found by tests/conformance.rs: the layer's WGS 84 read as
    /// no declaration, and its CRS findings were lost).
    #[test]
    fn crs84_is_epsg_4326() {
        for name in [
            "urn:ogc:def:crs:OGC:1.3:CRS84",
            "OGC:CRS84",
            "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        ] {
            let json = format!(
                r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"{name}"}}}},"features":[]}}"#
            );
            let d = read_geojson(Path::new("x.geojson"), "X", json.as_bytes()).unwrap();
            assert_eq!(d.geometry.crs.epsg, Some(4326), "{name}");
        }
    }
}
