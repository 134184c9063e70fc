//! `nrqc init`: the `package.yaml` a folder of layers and tables would have, proposed for the
//! producer to review. Layers and tables are found where the package format puts them (and in
//! GeoPackages), read once each, and described in comments: the CRS their files declare, the
//! text encoding their bytes are in, how many features or rows they hold, and what the schema
//! expects that the folder lacks.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use super::error::PackageError;
use super::manifest::{Encoding, Level, Manifest};
use super::{
    discover, load_frame, load_gdb, load_gpkg, load_shapefile, rel, tree, Format, Frame, ReadError,
};
use crate::schema::Schema;

/// What `nrqc init` proposes.
#[derive(Debug, Clone)]
pub struct Proposal {
    /// The text of package.yaml, with comments saying where each value comes from.
    pub text: String,
    /// Layers found, by name, with their file and feature count.
    pub layers: Vec<(String, String, usize)>,
    /// Tables found likewise, with their row count.
    pub tables: Vec<(String, String, usize)>,
}

/// The area a package is for: its code (xzqdm) and name (xzqmc).
#[derive(Debug, Clone)]
pub struct Area {
    /// Six digits, e.g. `622923`.
    pub code: String,
    /// e.g. `永靖县`.
    pub name: String,
}

impl Area {
    /// From a package folder named as deliveries are (`622923_永靖县`); `None` otherwise.
    pub fn from_folder(root: &Path) -> Option<Area> {
        let name = root
            .canonicalize()
            .ok()?
            .file_name()?
            .to_string_lossy()
            .into_owned();
        let (code, rest) = name.split_once('_')?;
        let area_name = rest.split('_').next()?.to_owned();
        (code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) && !area_name.is_empty()).then(
            || Area {
                code: code.to_owned(),
                name: area_name,
            },
        )
    }
}

/// The package.yaml proposed for the folder `root`, for a delivery of `area` at `level`.
pub fn propose(
    root: &Path,
    schema: &Schema,
    area: &Area,
    level: Level,
) -> Result<Proposal, PackageError> {
    if root.join("package.yaml").symlink_metadata().is_ok() {
        return Err(ReadError::new(
            "package.yaml",
            "the folder already has a package.yaml; nrqc init writes one only where there is none",
        )
        .into());
    }
    let root = &root
        .canonicalize()
        .map_err(|e| ReadError::new(root, format!("cannot read the folder: {e}")))?;
    let encoding = detect_encoding(root);
    let manifest = Manifest {
        area_code: area.code.clone(),
        area_name: area.name.clone(),
        level,
        crs: None,
        epsg: None,
        producer: None,
        survey_date: None,
        encoding,
        layers: BTreeMap::new(),
        tables: BTreeMap::new(),
    };
    let (sources, unread) = discover(root, &manifest)?;
    let mut frames: Vec<(Frame, String)> = Vec::new();
    let mut failed: Vec<String> = Vec::new();
    // GeoPackages and File Geodatabases: every layer of one file loaded together, once.
    let mut containers_done: Vec<&Path> = Vec::new();
    for s in &sources {
        let unit = || -> Vec<_> { sources.iter().filter(|o| o.path == s.path).collect() };
        let loaded: Result<Vec<Frame>, ReadError> = match s.format {
            Format::GeoPackage | Format::FileGdb if containers_done.contains(&s.path.as_path()) => {
                continue
            }
            Format::GeoPackage => {
                containers_done.push(&s.path);
                load_gpkg(root, &unit(), &()).map(|(f, _)| f)
            }
            Format::FileGdb => {
                containers_done.push(&s.path);
                load_gdb(root, &unit(), &()).map(|(f, _, _)| f)
            }
            Format::Shapefile => load_shapefile(root, s, &manifest).map(|(f, _, _)| vec![f]),
            _ => load_frame(root, s, &manifest, schema).map(|(f, _)| vec![f]),
        };
        match loaded {
            Ok(fs) => {
                for f in fs {
                    let path = sources
                        .iter()
                        .find(|o| o.name == f.name)
                        .map_or_else(String::new, |o| rel(&o.path));
                    frames.push((f, path));
                }
            }
            Err(e) => failed.push(e.to_string()),
        }
    }

    // The CRS the layer files declare, by how many declare it.
    let mut declared: BTreeMap<u32, Vec<&str>> = BTreeMap::new();
    let mut undeclared: Vec<&str> = Vec::new();
    for (f, _) in &frames {
        if let Some(g) = &f.geometry {
            match g.crs.epsg {
                Some(code) => declared.entry(code).or_default().push(&f.name),
                None => undeclared.push(&f.name),
            }
        }
    }
    let chosen = declared
        .iter()
        .max_by_key(|(_, layers)| layers.len())
        .map(|(code, _)| *code);

    let mut t = String::new();
    let _ = writeln!(
        t,
        "# package.yaml proposed by `nrqc init`: review every line before delivery (成果包格式 1.1 第2节)."
    );
    let _ = writeln!(t, "xzqdm: \"{}\"", area.code);
    let _ = writeln!(t, "xzqmc: {}", yaml_text(&area.name));
    let _ = writeln!(
        t,
        "level: {}",
        match level {
            Level::County => "county",
            Level::Prefecture => "prefecture",
            Level::Province => "province",
        }
    );
    match chosen {
        Some(code) => {
            let _ = write!(t, "crs: EPSG:{code}");
            let agree = &declared[&code];
            let _ = writeln!(
                t,
                "   # 由 {} 个图层文件声明：{}",
                agree.len(),
                agree.join("、")
            );
            for (other, layers) in declared.iter().filter(|(c, _)| **c != code) {
                let _ = writeln!(
                    t,
                    "# 注意：{} 声明的是 EPSG:{other}，与上面不一致，请核实",
                    layers.join("、")
                );
            }
        }
        None if frames.iter().any(|(f, _)| f.geometry.is_some()) => {
            let _ = writeln!(
                t,
                "# crs: EPSG:????   图层文件都没有可识别的坐标系声明，请填写（CGCS2000 3° 带如 EPSG:4522）"
            );
        }
        None => {}
    }
    if !undeclared.is_empty() {
        let _ = writeln!(t, "# 没有可识别坐标系声明的图层：{}", undeclared.join("、"));
    }
    let _ = writeln!(t, "# producer: 生产单位名称");
    let _ = writeln!(t, "# survey_date: YYYY-MM-DD");
    match encoding {
        Some(Encoding::Gbk) => {
            let _ = writeln!(
                t,
                "encoding: GBK   # 表格或 .dbf 的文字不是 UTF-8，按 GBK 可以读通"
            );
        }
        _ => {
            let _ = writeln!(t, "# encoding: 文字均为 UTF-8（或没有文字），无需声明");
        }
    }
    // Layers inside a GeoPackage are found without a mapping, but listing them says where
    // each layer is for the reviewer.
    let mut layers = Vec::new();
    let mut tables = Vec::new();
    for (f, path) in &frames {
        let entry = (f.name.clone(), path.clone(), f.len());
        if f.geometry.is_some() {
            layers.push(entry);
        } else {
            tables.push(entry);
        }
    }
    for (title, found, unit) in [("图层", &layers, "个要素"), ("表", &tables, "行")] {
        if found.is_empty() {
            continue;
        }
        let _ = writeln!(t, "# 找到的{title}：");
        for (name, path, n) in found.iter() {
            let known = if schema.frame(name).is_some() {
                ""
            } else {
                "（不在 schema 中，不会被任何规则检查）"
            };
            let _ = writeln!(t, "#   {name}: {path}（{n} {unit}）{known}");
        }
    }
    let missing: Vec<&str> = schema
        .layers
        .iter()
        .chain(&schema.tables)
        .filter(|(name, def)| def.required && !frames.iter().any(|(f, _)| &f.name == *name))
        .map(|(name, _)| name.as_str())
        .collect();
    if !missing.is_empty() {
        let _ = writeln!(t, "# 缺少必交的图层或表：{}", missing.join("、"));
    }
    for u in &unread {
        let _ = writeln!(t, "# 未读取：{}（{}）", u.path, u.reason);
    }
    for e in &failed {
        let _ = writeln!(t, "# 无法读取：{}", e.replace('\n', " "));
    }
    // What is proposed must be a manifest nrqc accepts.
    Manifest::parse(&t, "package.yaml")?;
    Ok(Proposal {
        text: t,
        layers,
        tables,
    })
}

/// `GBK` when a CSV table or a .dbf without a .cpg is not UTF-8 but reads as GBK; `None` when
/// every text is UTF-8 (or there is none).
fn detect_encoding(root: &Path) -> Option<Encoding> {
    let mut candidates = Vec::new();
    for (dir, ext) in [("tables", "csv"), ("vector", "dbf")] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let matches = p
                .extension()
                .is_some_and(|x| x.to_string_lossy().eq_ignore_ascii_case(ext));
            // A .cpg says the shapefile's encoding itself.
            if matches && !(ext == "dbf" && p.with_extension("cpg").exists()) {
                candidates.push(Path::new(dir).join(e.file_name()));
            }
        }
    }
    let mut gbk = false;
    for c in candidates {
        let Ok(bytes) = tree::read(root, &c) else {
            continue;
        };
        if std::str::from_utf8(&bytes).is_err() {
            let (_, _, bad) = encoding_rs::GBK.decode(&bytes);
            gbk |= !bad;
        }
    }
    gbk.then_some(Encoding::Gbk)
}

/// `s` as a YAML scalar: plain when that reads back as the same string, else double-quoted.
fn yaml_text(s: &str) -> String {
    let plain = !s.is_empty()
        && !s.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@` ".contains(c) || c.is_ascii_digit())
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.ends_with(' ');
    if plain {
        s.to_owned()
    } else {
        serde_json::to_string(s).unwrap_or_default()
    }
}
