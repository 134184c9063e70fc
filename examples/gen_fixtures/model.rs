//! The package in memory: layers and tables as typed columns and rows, areas in hundredths.

use crate::counties::County;
use crate::shape::Ring;

#[derive(Clone, Copy)]
pub enum Kind {
    Text,
    /// Two decimals: m² in layers (a double in FlatGeobuf), 公顷 or % in TJ_ZRZYMJ.
    Decimal,
    /// Text of digits written as a double, as an export that took a code for a number does.
    Number,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Text(String),
    /// Hundredths of m².
    Area(i64),
    /// A statistics-table figure in hundredths of its column's unit (公顷 or %).
    Figure(i64),
}

pub fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

#[derive(Clone)]
pub struct Row {
    /// Empty for rows of a table without geometry (GGGZ, KYQ, TJ_ZRZYMJ).
    pub ring: Ring,
    pub values: Vec<Value>,
}

/// A layer or table: named, typed columns in schema order and rows in file order.
#[derive(Clone)]
pub struct Layer {
    pub name: &'static str,
    pub columns: Vec<(&'static str, Kind)>,
    /// The columns whose values identify a row in a finding (schema.yaml `key`).
    pub key: &'static [&'static str],
    /// The CRS its file declares: the package's, unless a defect delivers it in another.
    pub epsg: u32,
    pub rows: Vec<Row>,
}

impl Layer {
    pub fn new(
        name: &'static str,
        columns: &[(&'static str, Kind)],
        key: &'static [&'static str],
        epsg: u32,
    ) -> Layer {
        Layer {
            name,
            columns: columns.to_vec(),
            key,
            epsg,
            rows: Vec::new(),
        }
    }

    pub fn column(&self, field: &str) -> usize {
        self.columns
            .iter()
            .position(|c| c.0 == field)
            .unwrap_or_else(|| panic!("{} has no column {field}", self.name))
    }

    /// A row of this layer; columns not given are null.
    pub fn row(&self, ring: Ring, values: Vec<(&str, Value)>) -> Row {
        let mut row = vec![Value::Null; self.columns.len()];
        for (field, value) in values {
            row[self.column(field)] = value;
        }
        Row { ring, values: row }
    }

    /// Appends a row; columns not given are null.
    pub fn push(&mut self, ring: Ring, values: Vec<(&str, Value)>) {
        let row = self.row(ring, values);
        self.rows.push(row);
    }

    pub fn get(&self, fid: usize, field: &str) -> &Value {
        &self.rows[fid].values[self.column(field)]
    }

    pub fn set(&mut self, fid: usize, field: &str, value: Value) {
        let column = self.column(field);
        self.rows[fid].values[column] = value;
    }

    /// Drops a column from the file, as a producer's export that lost a field.
    pub fn drop_column(&mut self, field: &str) {
        let column = self.column(field);
        self.columns.remove(column);
        for row in &mut self.rows {
            row.values.remove(column);
        }
    }

    /// Gives a column another type in the file; its values stay as they are.
    pub fn retype(&mut self, field: &str, kind: Kind) {
        let column = self.column(field);
        self.columns[column].1 = kind;
    }

    /// Adds `delta` hundredths to an area or a table figure.
    pub fn shift(&mut self, fid: usize, field: &str, delta: i64) {
        let shifted = match *self.get(fid, field) {
            Value::Area(v) => Value::Area(v + delta),
            Value::Figure(v) => Value::Figure(v + delta),
            ref other => panic!("{} {field} is {other:?}", self.name),
        };
        self.set(fid, field, shifted);
    }

    /// The fids of the rows whose `field` is the text `value`, in file order.
    pub fn find(&self, field: &str, value: &str) -> Vec<usize> {
        let column = self.column(field);
        let wanted = text(value);
        (0..self.rows.len())
            .filter(|&fid| self.rows[fid].values[column] == wanted)
            .collect()
    }

    pub fn text_at(&self, fid: usize, field: &str) -> &str {
        match self.get(fid, field) {
            Value::Text(s) => s,
            other => panic!("{} {field} is {other:?}", self.name),
        }
    }

    pub fn area_at(&self, fid: usize, field: &str) -> i64 {
        match self.get(fid, field) {
            Value::Area(cents) => *cents,
            other => panic!("{} {field} is {other:?}", self.name),
        }
    }

    pub fn key_of(&self, fid: usize) -> Vec<String> {
        self.key
            .iter()
            .map(|field| self.text_at(fid, field).to_owned())
            .collect()
    }
}

pub const XZQ_COLUMNS: &[(&str, Kind)] = &[
    ("XZQDM", Kind::Text),
    ("XZQMC", Kind::Text),
    ("DCMJ", Kind::Decimal),
];

pub const UNIT_COLUMNS: &[(&str, Kind)] = &[
    ("ZRZYDJDYH", Kind::Text),
    ("DJDYMC", Kind::Text),
    ("DJDYLX", Kind::Text),
    ("ZL", Kind::Text),
    ("DJDYZMJ", Kind::Decimal),
    ("GYMJ", Kind::Decimal),
    ("JTMJ", Kind::Decimal),
    ("ZYQMJ", Kind::Decimal),
    ("DYNZRZYZMJ", Kind::Decimal),
    ("SZYMJ", Kind::Decimal),
    ("SDMJ", Kind::Decimal),
    ("SLMJ", Kind::Decimal),
    ("CYMJ", Kind::Decimal),
    ("HDMJ", Kind::Decimal),
    ("QTMJ", Kind::Decimal),
    ("FZRZYZMJ", Kind::Decimal),
    ("SYQZT", Kind::Text),
    ("DBXSZT", Kind::Text),
    ("DLXSZT", Kind::Text),
    ("QLXSFS", Kind::Text),
    ("XSNR", Kind::Text),
    ("DJJG", Kind::Text),
    ("BZ", Kind::Text),
];

pub const PARCEL_COLUMNS: &[(&str, Kind)] = &[
    ("BSM", Kind::Text),
    ("ZRZYDJDYH", Kind::Text),
    ("ZYLX", Kind::Text),
    ("DLBM", Kind::Text),
    ("QSXZ", Kind::Text),
    ("QSDWDM", Kind::Text),
    ("QSDWMC", Kind::Text),
    ("MJ", Kind::Decimal),
];

pub const ZONE_COLUMNS: &[(&str, Kind)] = &[
    ("HXBM", Kind::Text),
    ("HXMC", Kind::Text),
    ("HXLX", Kind::Text),
    ("MJ", Kind::Decimal),
];

pub const LINK_COLUMNS: &[(&str, Kind)] = &[
    ("ZRZYDJDYH", Kind::Text),
    ("GGGZYSLX", Kind::Text),
    ("GGGZFQBSM", Kind::Text),
    ("MJ", Kind::Decimal),
    ("GGGZNR", Kind::Text),
];

pub const FARMLAND_COLUMNS: &[(&str, Kind)] = &[("YJJBNTTBBH", Kind::Text), ("MJ", Kind::Decimal)];

pub const DEPOSIT_COLUMNS: &[(&str, Kind)] = &[
    ("KCBH", Kind::Text),
    ("KQMC", Kind::Text),
    ("KZ", Kind::Text),
    ("ZRZYDJDYH", Kind::Text),
    ("CLGSFWMJ", Kind::Decimal),
    ("XKZH", Kind::Text),
    ("ZSH", Kind::Text),
];

pub const RIGHT_COLUMNS: &[(&str, Kind)] = &[
    ("XKZH", Kind::Text),
    ("KSMC", Kind::Text),
    ("FZJGJB", Kind::Text),
    ("YXQZ", Kind::Text),
];

pub const RIGHT_LINK_COLUMNS: &[(&str, Kind)] = &[
    ("KCBH", Kind::Text),
    ("XKZH", Kind::Text),
    ("QLLX", Kind::Text),
];

/// TJ_ZRZYMJ: the key, the six part columns in [`RESOURCE_TYPES`] order, the total, the share.
pub const STATS_COLUMNS: &[(&str, Kind)] = &[
    ("DJDYLX", Kind::Text),
    ("DJDYLXMC", Kind::Text),
    ("SZYMJ", Kind::Decimal),
    ("SDMJ", Kind::Decimal),
    ("SLMJ", Kind::Decimal),
    ("CYMJ", Kind::Decimal),
    ("HDMJ", Kind::Decimal),
    ("QTMJ", Kind::Decimal),
    ("HJ", Kind::Decimal),
    ("ZB", Kind::Decimal),
];

/// The six natural-resource types (ZYLX) and their area column, named alike in ZRZYDJDY and
/// TJ_ZRZYMJ.
pub const RESOURCE_TYPES: [(&str, &str); 6] = [
    ("SZY", "SZYMJ"),
    ("SD", "SDMJ"),
    ("SL", "SLMJ"),
    ("CY", "CYMJ"),
    ("HD", "HDMJ"),
    ("QT", "QTMJ"),
];

pub const RED_LINE: &str = "生态保护红线";
pub const RED_LINE_RULE: &str = "生态保护红线内禁止开发性、生产性建设活动";

#[derive(Clone)]
pub struct Package {
    pub county: &'static County,
    pub xzq: Layer,
    pub units: Layer,
    pub parcels: Layer,
    pub zones: Layer,
    pub links: Layer,
    pub farmland: Layer,
    pub deposits: Layer,
    pub rights: Layer,
    pub right_links: Layer,
    pub stats: Layer,
    /// Layers and tables a defect removed from the delivery.
    pub missing: Vec<&'static str>,
    /// The file names of `docs/`, when the package delivers it.
    pub documents: Option<Vec<String>>,
}

impl Package {
    pub fn new(county: &'static County) -> Package {
        let epsg = county.epsg;
        Package {
            county,
            xzq: Layer::new("XZQ", XZQ_COLUMNS, &["XZQDM"], epsg),
            units: Layer::new("ZRZYDJDY", UNIT_COLUMNS, &["ZRZYDJDYH"], epsg),
            parcels: Layer::new("ZRZK", PARCEL_COLUMNS, &["BSM"], epsg),
            zones: Layer::new("STBHHX", ZONE_COLUMNS, &["HXBM"], epsg),
            links: Layer::new("GGGZ", LINK_COLUMNS, &["ZRZYDJDYH", "GGGZFQBSM"], epsg),
            farmland: Layer::new("YJJBNT", FARMLAND_COLUMNS, &["YJJBNTTBBH"], epsg),
            deposits: Layer::new("KCZY", DEPOSIT_COLUMNS, &["KCBH"], epsg),
            rights: Layer::new("CKQ", RIGHT_COLUMNS, &["XKZH"], epsg),
            right_links: Layer::new("KYQ", RIGHT_LINK_COLUMNS, &["KCBH", "XKZH"], epsg),
            stats: Layer::new("TJ_ZRZYMJ", STATS_COLUMNS, &["DJDYLX"], epsg),
            missing: Vec::new(),
            documents: None,
        }
    }

    pub fn layers(&self) -> [&Layer; 10] {
        [
            &self.xzq,
            &self.units,
            &self.parcels,
            &self.zones,
            &self.links,
            &self.farmland,
            &self.deposits,
            &self.rights,
            &self.right_links,
            &self.stats,
        ]
    }

    pub fn layer_mut(&mut self, name: &str) -> &mut Layer {
        [
            &mut self.xzq,
            &mut self.units,
            &mut self.parcels,
            &mut self.zones,
            &mut self.links,
            &mut self.farmland,
            &mut self.deposits,
            &mut self.rights,
            &mut self.right_links,
            &mut self.stats,
        ]
        .into_iter()
        .find(|l| l.name == name)
        .unwrap_or_else(|| panic!("no layer {name}"))
    }

    pub fn layer(&self, name: &str) -> &Layer {
        self.layers()
            .into_iter()
            .find(|l| l.name == name)
            .unwrap_or_else(|| panic!("no layer {name}"))
    }
}
