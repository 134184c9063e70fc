//! What each county's clean package holds: its outline, units and their parcels, red-line zones,
//! farmland and mineral deposits, placed in "cell units" of the county's frame (see
//! [`crate::build::Frame`]): a cell is 0.45 of the county's half-extent, the county outline lies
//! between 0.88 and 1 half-extent from its centre, so anything within about 1.9 cells of the
//! centre is inside the county.

/// A collective owner (农民集体): 19-character QSDWDM and name.
pub struct Collective {
    pub code: &'static str,
    pub name: &'static str,
}

pub struct ParcelSpec {
    pub zylx: &'static str,
    pub dlbm: &'static str,
    /// `None` for state land (QSXZ 10).
    pub owner: Option<&'static Collective>,
}

pub const fn state(zylx: &'static str, dlbm: &'static str) -> ParcelSpec {
    ParcelSpec {
        zylx,
        dlbm,
        owner: None,
    }
}

pub const fn collective(
    zylx: &'static str,
    dlbm: &'static str,
    owner: &'static Collective,
) -> ParcelSpec {
    ParcelSpec {
        zylx,
        dlbm,
        owner: Some(owner),
    }
}

pub struct UnitSpec {
    pub name: &'static str,
    pub djdylx: &'static str,
    pub seq: u32,
    /// The registering area's code when it is not the county: 622900 for a unit that crosses
    /// counties, delivered once by one of them.
    pub area: Option<&'static str>,
    pub zl: &'static str,
    pub djjg: &'static str,
    /// Centre and semi-axes in cell units.
    pub at: (f64, f64),
    pub radii: (f64, f64),
    /// Outline vertices before tiling adds two per cut, drawn in this range.
    pub vertices: (u64, u64),
    /// 直接行使 (QLXSFS 1) by 自然资源部 instead of 代理行使 by the province.
    pub direct: bool,
    pub parcels: &'static [ParcelSpec],
}

impl UnitSpec {
    pub fn code(&self, county: &str) -> String {
        format!(
            "{}{}{:05}",
            self.area.unwrap_or(county),
            self.djdylx,
            self.seq
        )
    }

    pub fn is_protected(&self) -> bool {
        matches!(self.djdylx, "11" | "12" | "13")
    }
}

/// A unit of the county's own regular layout: one per cell of a 3 × 3 grid (column and row
/// 0–2, west to east and south to north), 6–8 vertices, 0.4 cell in radius.
pub const fn cell(
    name: &'static str,
    djdylx: &'static str,
    seq: u32,
    zl: &'static str,
    djjg: &'static str,
    (col, row): (i32, i32),
    parcels: &'static [ParcelSpec],
) -> UnitSpec {
    UnitSpec {
        name,
        djdylx,
        seq,
        area: None,
        zl,
        djjg,
        at: ((col - 1) as f64, (row - 1) as f64),
        radii: (0.4, 0.4),
        vertices: (6, 8),
        direct: false,
        parcels,
    }
}

/// A unit placed freely: rivers are long and thin and have more vertices.
#[allow(clippy::too_many_arguments)]
const fn free(
    name: &'static str,
    djdylx: &'static str,
    seq: u32,
    zl: &'static str,
    djjg: &'static str,
    at: (f64, f64),
    radii: (f64, f64),
    parcels: &'static [ParcelSpec],
) -> UnitSpec {
    let long = radii.0 > 2.5 * radii.1 || radii.1 > 2.5 * radii.0;
    UnitSpec {
        name,
        djdylx,
        seq,
        area: None,
        zl,
        djjg,
        at,
        radii,
        vertices: if long { (12, 14) } else { (7, 10) },
        direct: false,
        parcels,
    }
}

pub struct ZoneSpec {
    pub hxmc: &'static str,
    pub hxlx: &'static str,
    pub at: (f64, f64),
    pub radii: (f64, f64),
}

/// A mining or exploration licence linked to a deposit (KYQ); a mining right (采矿权) is also
/// a CKQ polygon, the deposit's extent.
pub struct Licence {
    pub xkzh: &'static str,
    /// 采矿权 or 探矿权.
    pub qllx: &'static str,
    /// KSMC, FZJGJB, YXQZ of the mining right.
    pub mine: Option<(&'static str, &'static str, &'static str)>,
}

pub enum Host {
    /// A deposit registered as its own unit (DJDYLX 70, by index): its extent is the unit's.
    Unit(usize),
    /// A deposit inside a protected-area unit (by index), recorded as a layer of it: a small
    /// extent around the unit's centre, of this radius in cell units.
    Within(usize, f64),
}

pub struct DepositSpec {
    pub kqmc: &'static str,
    pub kz: &'static str,
    pub host: Host,
    pub licences: &'static [Licence],
}

pub struct County {
    pub code: &'static str,
    pub name: &'static str,
    pub epsg: u32,
    /// Centre and half-extents in degrees of longitude and latitude.
    pub centre: (f64, f64),
    pub half: (f64, f64),
    pub seed: u64,
    pub outline_vertices: u64,
    /// Delivers `docs/`: a register book and a map for each unit but the mineral ones.
    pub documents: bool,
    pub units: &'static [UnitSpec],
    pub zones: &'static [ZoneSpec],
    /// Permanent basic farmland parcels (YJJBNT), 0.1 cell in radius, clear of every unit and
    /// red-line zone: no rule relates them to units yet, so none may owe a link.
    pub farmland: &'static [(f64, f64)],
    pub deposits: &'static [DepositSpec],
}

impl County {
    pub fn dir_name(&self) -> String {
        format!("{}_{}", self.code, self.name)
    }

    pub fn producer(&self) -> String {
        format!("{}自然资源局", self.name)
    }
}

/// A special protection (特殊保护) over a unit, recorded as a GGGZ row and nothing else: a
/// 水产种质资源保护区 is not a protected-area unit (format 1.1 section 4.1).
pub struct SpecialSpec {
    pub county: &'static str,
    /// The unit it lies on, by index in the county's units.
    pub unit: usize,
    pub id: &'static str,
    pub name: &'static str,
    /// Its share of the unit's area.
    pub share: f64,
}

/// The plan (二(一)1 and 表1): 黄河刘家峡兰州鲶国家级水产种质资源保护区 covers 94 % of 刘家峡水库.
pub const SPECIAL: &[SpecialSpec] = &[SpecialSpec {
    county: "622923",
    unit: 1,
    id: "622923SC001",
    name: "黄河刘家峡兰州鲶国家级水产种质资源保护区",
    share: 0.94,
}];

pub const PROVINCE: &str = "甘肃省自然资源厅";
pub const PREFECTURE: &str = "临夏回族自治州自然资源局";

/// CGCS2000 3° Gauss-Krüger zone 34 (CM 102°E) and zone 35 (CM 105°E), zone-prefixed.
const WEST: u32 = 4522;
const EAST: u32 = 4523;

// ---------------------------------------------------------------------------------------------
// 622901 临夏市

const LXS_DJJG: &str = "临夏市自然资源局";

pub const LINXIA_CITY: County = County {
    code: "622901",
    name: "临夏市",
    epsg: WEST,
    centre: (103.21, 35.60),
    half: (0.075, 0.048),
    seed: 0x0062_2901_2021_1031,
    outline_vertices: 18,
    documents: false,
    units: &[
        free(
            "大夏河临夏市段",
            "21",
            1,
            "临夏市城南街道、枹罕镇",
            PREFECTURE,
            (0.0, -0.7),
            (1.3, 0.22),
            &[
                state("SZY", "1101"),
                state("SD", "1106"),
                state("FZR", "1109"),
            ],
        ),
        free(
            "北塬森林",
            "40",
            1,
            "临夏市枹罕镇王坪村",
            LXS_DJJG,
            (-0.6, 0.6),
            (0.4, 0.35),
            &[
                state("SL", "0301"),
                state("SL", "0305"),
                state("SL", "0307"),
            ],
        ),
        free(
            "南龙山草原",
            "50",
            1,
            "临夏市南龙镇",
            LXS_DJJG,
            (0.7, 0.55),
            (0.35, 0.3),
            &[state("CY", "0404"), state("CY", "0401")],
        ),
        free(
            "折桥荒地",
            "60",
            1,
            "临夏市折桥镇",
            LXS_DJJG,
            (0.05, 1.1),
            (0.25, 0.2),
            &[state("HD", "1206"), state("HD", "1207")],
        ),
    ],
    zones: &[ZoneSpec {
        hxmc: "大夏河临夏市段水源涵养生态保护红线",
        hxlx: "水源涵养",
        at: (0.4, -0.6),
        radii: (0.45, 0.25),
    }],
    farmland: &[(0.0, 0.1), (-1.1, -0.1)],
    deposits: &[],
};

// ---------------------------------------------------------------------------------------------
// 622921 临夏县

const LXX_DJJG: &str = "临夏县自然资源局";
const HONGTAI: Collective = Collective {
    code: "6229212100040000000",
    name: "红台乡红台村农民集体",
};

pub const LINXIA_COUNTY: County = County {
    code: "622921",
    name: "临夏县",
    epsg: WEST,
    centre: (103.00, 35.49),
    half: (0.265, 0.165),
    seed: 0x0062_2921_2021_1031,
    outline_vertices: 22,
    documents: false,
    units: &[
        free(
            "大夏河临夏县段",
            "21",
            1,
            "临夏县土桥镇、韩集镇",
            PREFECTURE,
            (0.2, -0.2),
            (1.3, 0.2),
            &[
                state("SZY", "1101"),
                state("SD", "1106"),
                state("FZR", "1109"),
            ],
        ),
        free(
            "北塬林场森林",
            "40",
            1,
            "临夏县北塬镇",
            LXX_DJJG,
            (-0.8, 0.8),
            (0.4, 0.4),
            &[state("SL", "0301"), state("SL", "0305")],
        ),
        free(
            "麻尼寺沟草原",
            "50",
            1,
            "临夏县麻尼寺沟乡",
            LXX_DJJG,
            (0.85, 0.9),
            (0.4, 0.35),
            &[state("CY", "0401"), state("CY", "0404")],
        ),
        free(
            "红台荒地",
            "60",
            1,
            "临夏县红台乡",
            LXX_DJJG,
            (0.0, 0.95),
            (0.3, 0.3),
            &[state("HD", "1207"), state("HD", "1206")],
        ),
        free(
            "槐山湿地",
            "30",
            1,
            "临夏县桥寺乡槐山村",
            LXX_DJJG,
            (-0.9, -0.9),
            (0.3, 0.25),
            &[
                state("SD", "1108"),
                state("SD", "1106"),
                state("SZY", "1104"),
            ],
        ),
        free(
            "临夏县北塬石膏矿",
            "70",
            1,
            "临夏县北塬镇",
            PROVINCE,
            (0.9, -1.0),
            (0.22, 0.18),
            &[
                state("FZR", "0602"),
                state("HD", "1207"),
                collective("CY", "0404", &HONGTAI),
            ],
        ),
    ],
    zones: &[ZoneSpec {
        hxmc: "大夏河槐山水源涵养生态保护红线",
        hxlx: "水源涵养",
        at: (-0.6, -0.55),
        radii: (0.5, 0.35),
    }],
    farmland: &[(-0.2, 0.45), (0.5, 0.4)],
    deposits: &[DepositSpec {
        kqmc: "临夏县北塬石膏矿区",
        kz: "石膏",
        host: Host::Unit(5),
        licences: &[Licence {
            xkzh: "C6229002010057120066312",
            qllx: "采矿权",
            mine: Some(("临夏县北塬石膏矿", "省级", "2030-05-31")),
        }],
    }],
};

// ---------------------------------------------------------------------------------------------
// 622922 康乐县

const KL_DJJG: &str = "康乐县自然资源局";
const CAOTAN: Collective = Collective {
    code: "6229222030010000000",
    name: "草滩镇草滩村农民集体",
};

pub const KANGLE: County = County {
    code: "622922",
    name: "康乐县",
    epsg: EAST,
    centre: (103.71, 35.37),
    half: (0.24, 0.16),
    seed: 0x0062_2922_2021_1031,
    outline_vertices: 22,
    documents: false,
    units: &[
        free(
            "莲花山国家森林公园",
            "13",
            1,
            "康乐县八松乡、景古镇",
            PROVINCE,
            (0.4, -0.9),
            (0.6, 0.4),
            &[
                state("SL", "0301K"),
                state("SL", "0305"),
                state("CY", "0401"),
                state("HD", "1207"),
            ],
        ),
        free(
            "洮河康乐段",
            "21",
            1,
            "康乐县莲麓镇、八丹乡",
            PREFECTURE,
            (1.25, 0.2),
            (0.2, 1.0),
            &[state("SZY", "1101"), state("SD", "1106")],
        ),
        free(
            "胭脂河",
            "21",
            2,
            "康乐县附城镇、胭脂镇",
            KL_DJJG,
            (-0.3, 0.55),
            (1.0, 0.15),
            &[state("SZY", "1101"), state("SD", "1106")],
        ),
        free(
            "草滩草原",
            "50",
            1,
            "康乐县草滩镇",
            KL_DJJG,
            (-0.95, -0.6),
            (0.35, 0.35),
            &[
                collective("CY", "0403K", &CAOTAN),
                collective("CY", "0404", &CAOTAN),
            ],
        ),
        free(
            "八松森林",
            "40",
            1,
            "康乐县八松乡",
            KL_DJJG,
            (-0.3, -0.1),
            (0.35, 0.28),
            &[state("SL", "0301"), state("SL", "0307")],
        ),
        free(
            "康乐县草滩铜矿",
            "70",
            1,
            "康乐县草滩镇",
            PROVINCE,
            (-0.8, 1.05),
            (0.2, 0.15),
            &[state("FZR", "0602"), state("HD", "1207")],
        ),
        free(
            "景古荒地",
            "60",
            1,
            "康乐县景古镇",
            KL_DJJG,
            (0.45, 1.1),
            (0.3, 0.2),
            &[state("HD", "1206"), state("HD", "1207")],
        ),
    ],
    zones: &[ZoneSpec {
        hxmc: "莲花山水源涵养生态保护红线",
        hxlx: "水源涵养",
        at: (0.4, -0.75),
        radii: (0.6, 0.3),
    }],
    farmland: &[(0.6, 0.0), (-1.1, 0.1)],
    deposits: &[DepositSpec {
        kqmc: "康乐县草滩铜矿区",
        kz: "铜",
        host: Host::Unit(5),
        licences: &[Licence {
            xkzh: "T62120090302025561",
            qllx: "探矿权",
            mine: None,
        }],
    }],
};

// ---------------------------------------------------------------------------------------------
// 622923 永靖县: u1 … u9 are the original hand-made layout (one unit per cell), which the
// defects of [`crate::defects::yongjing`] are written against.

const YJ_DJJG: &str = "永靖县自然资源局";
const DAZHUANG: Collective = Collective {
    code: "6229231022010000000",
    name: "刘家峡镇大庄村农民集体",
};
const QIJIADU: Collective = Collective {
    code: "6229231052030000000",
    name: "岘塬镇祁家渡村农民集体",
};

pub const YONGJING: County = County {
    code: "622923",
    name: "永靖县",
    epsg: WEST,
    // Spans roughly 102.9–103.65°E, 35.8–36.2°N.
    centre: (103.275, 36.0),
    half: (0.375, 0.2),
    seed: 0x0062_2923_2021_1031,
    outline_vertices: 20,
    documents: false,
    units: &[
        UnitSpec {
            direct: true,
            ..cell(
                "黄河三峡湿地省级自然保护区",
                "12",
                1,
                "永靖县刘家峡镇、太极镇",
                PROVINCE,
                (0, 0),
                &[
                    state("SD", "1106"),
                    state("SZY", "1101"),
                    state("SD", "1108"),
                    collective("QT", "0103", &DAZHUANG),
                ],
            )
        },
        cell(
            "刘家峡水库",
            "23",
            1,
            "永靖县刘家峡镇",
            PREFECTURE,
            (1, 1),
            &[
                state("SZY", "1103"),
                state("FZR", "1109"),
                state("SD", "1106"),
            ],
        ),
        cell(
            "黄河永靖段",
            "21",
            1,
            "永靖县盐锅峡镇、太极镇",
            PREFECTURE,
            (2, 0),
            &[state("SZY", "1101"), state("SD", "1106")],
        ),
        cell(
            "祁家渡湿地",
            "30",
            1,
            "永靖县岘塬镇祁家渡村",
            YJ_DJJG,
            (1, 0),
            &[
                state("SD", "1108"),
                collective("SD", "1106", &QIJIADU),
                state("SZY", "1104"),
            ],
        ),
        cell(
            "罗家洞森林",
            "40",
            1,
            "永靖县川城镇罗家洞村",
            YJ_DJJG,
            (0, 1),
            &[
                state("SL", "0301"),
                state("SL", "0305"),
                state("SL", "0307"),
            ],
        ),
        cell(
            "杏花林场森林",
            "40",
            2,
            "永靖县三塬镇杏花村",
            YJ_DJJG,
            (2, 1),
            &[state("SL", "0301"), state("SL", "0305")],
        ),
        cell(
            "三条岘草原",
            "50",
            1,
            "永靖县三条岘乡",
            YJ_DJJG,
            (0, 2),
            &[
                state("CY", "0401"),
                state("CY", "0404"),
                state("CY", "0403"),
            ],
        ),
        cell(
            "关山草原",
            "50",
            2,
            "永靖县关山乡",
            YJ_DJJG,
            (1, 2),
            &[state("CY", "0401"), state("CY", "0404")],
        ),
        cell(
            "徐顶荒地",
            "60",
            1,
            "永靖县徐顶乡",
            YJ_DJJG,
            (2, 2),
            &[state("HD", "1207"), state("HD", "1206")],
        ),
        // In the diagonal gaps between the cells; no SL parcel, so TJ_ZRZYMJ's SLMJ stays.
        free(
            "刘家峡恐龙国家地质公园",
            "13",
            1,
            "永靖县盐锅峡镇",
            PROVINCE,
            (-0.5, -0.45),
            (0.2, 0.18),
            &[
                state("HD", "1207"),
                state("CY", "0404"),
                state("FZR", "0810"),
            ],
        ),
        free(
            "永靖县盐锅峡水泥用灰岩矿",
            "70",
            1,
            "永靖县盐锅峡镇",
            PROVINCE,
            (0.5, 0.5),
            (0.17, 0.17),
            &[state("FZR", "0602"), state("HD", "1207")],
        ),
    ],
    zones: &[
        // Straddles the cells of u1 and u4, staying in the southern row.
        ZoneSpec {
            hxmc: "黄河三峡湿地生物多样性维护生态保护红线",
            hxlx: "生物多样性维护",
            at: (-0.5, -1.0),
            radii: (0.75, 0.3),
        },
        // Over the west edge of u5's cell, short of its neighbours.
        ZoneSpec {
            hxmc: "罗家洞水源涵养生态保护红线",
            hxlx: "水源涵养",
            at: (-1.3, 0.0),
            radii: (0.35, 0.35),
        },
    ],
    farmland: &[(0.5, -0.5), (-0.5, 0.5)],
    deposits: &[
        DepositSpec {
            kqmc: "刘家峡石英砂岩矿区",
            kz: "玻璃用石英砂岩",
            host: Host::Within(9, 0.06),
            licences: &[],
        },
        DepositSpec {
            kqmc: "盐锅峡水泥用灰岩矿区",
            kz: "水泥用灰岩",
            host: Host::Unit(10),
            licences: &[
                Licence {
                    xkzh: "C6229002011047120110876",
                    qllx: "采矿权",
                    mine: Some(("永靖县盐锅峡水泥用灰岩矿", "省级", "2031-04-30")),
                },
                Licence {
                    xkzh: "T62120080702011432",
                    qllx: "探矿权",
                    mine: None,
                },
            ],
        },
    ],
};

// ---------------------------------------------------------------------------------------------
// 622924 广河县

const GH_DJJG: &str = "广河县自然资源局";

pub const GUANGHE: County = County {
    code: "622924",
    name: "广河县",
    epsg: EAST,
    centre: (103.58, 35.48),
    half: (0.18, 0.11),
    seed: 0x0062_2924_2021_1031,
    outline_vertices: 20,
    documents: true,
    units: &[
        free(
            "广通河广河段",
            "21",
            1,
            "广河县城关镇、三甲集镇",
            PREFECTURE,
            (0.15, 0.1),
            (1.1, 0.18),
            &[
                state("SZY", "1101"),
                state("SD", "1106"),
                state("FZR", "1109"),
            ],
        ),
        free(
            "洮河广河段",
            "21",
            2,
            "广河县三甲集镇",
            PREFECTURE,
            (-1.25, -0.45),
            (0.2, 0.75),
            &[state("SZY", "1101"), state("SD", "1106")],
        ),
        free(
            "广河县林场森林",
            "40",
            1,
            "广河县阿力麻土乡",
            GH_DJJG,
            (0.5, -0.8),
            (0.45, 0.35),
            &[
                state("SL", "0301"),
                state("SL", "0305"),
                state("SL", "0307"),
            ],
        ),
        free(
            "齐家坪草原",
            "50",
            1,
            "广河县齐家镇",
            GH_DJJG,
            (0.6, 0.9),
            (0.4, 0.3),
            &[state("CY", "0401"), state("CY", "0404")],
        ),
        free(
            "阿力麻土荒地",
            "60",
            1,
            "广河县阿力麻土乡",
            GH_DJJG,
            (-0.4, 0.9),
            (0.3, 0.25),
            &[state("HD", "1206"), state("HD", "1207")],
        ),
        free(
            "广河县砖瓦用黄土矿",
            "70",
            1,
            "广河县城关镇",
            PROVINCE,
            (-0.35, -0.9),
            (0.2, 0.18),
            &[state("FZR", "0602"), state("HD", "1206")],
        ),
    ],
    zones: &[ZoneSpec {
        hxmc: "广通河水土保持生态保护红线",
        hxlx: "水土保持",
        at: (0.6, 0.1),
        radii: (0.5, 0.3),
    }],
    farmland: &[(1.2, -0.3), (-0.6, 0.45)],
    deposits: &[DepositSpec {
        kqmc: "广河县城关砖瓦用黄土矿区",
        kz: "砖瓦用黄土",
        host: Host::Unit(5),
        licences: &[Licence {
            xkzh: "C6229242015067130139021",
            qllx: "采矿权",
            mine: Some(("广河县城关砖瓦用黄土矿", "县级", "2027-06-30")),
        }],
    }],
};

// ---------------------------------------------------------------------------------------------
// 622925 和政县: delivers 太子山, which crosses 和政、康乐、临夏县 and 积石山, once, with the
// prefecture's code; its outline runs past 和政's southern boundary.

const HZ_DJJG: &str = "和政县自然资源局";
const BUJIAZHUANG: Collective = Collective {
    code: "6229252040030000000",
    name: "卜家庄乡卜家庄村农民集体",
};

pub const HEZHENG: County = County {
    code: "622925",
    name: "和政县",
    epsg: WEST,
    centre: (103.35, 35.43),
    half: (0.23, 0.145),
    seed: 0x0062_2925_2021_1031,
    outline_vertices: 22,
    documents: false,
    units: &[
        UnitSpec {
            area: Some("622900"),
            vertices: (14, 16),
            ..free(
                "太子山国家级自然保护区",
                "12",
                1,
                "和政县、康乐县、临夏县、积石山保安族东乡族撒拉族自治县",
                PROVINCE,
                (0.0, -1.45),
                (1.3, 0.6),
                &[
                    state("SL", "0301"),
                    state("SL", "0305"),
                    state("CY", "0401"),
                    state("HD", "1207"),
                    collective("CY", "0404", &BUJIAZHUANG),
                ],
            )
        },
        free(
            "松鸣岩国家森林公园",
            "13",
            1,
            "和政县吊滩乡",
            PROVINCE,
            (0.6, 0.1),
            (0.35, 0.3),
            &[
                state("SL", "0301"),
                state("SL", "0305"),
                state("FZR", "0810"),
            ],
        ),
        free(
            "大南岔河",
            "21",
            1,
            "和政县罗家集乡、城关镇",
            HZ_DJJG,
            (-0.75, 0.3),
            (0.18, 0.7),
            &[state("SZY", "1101"), state("SD", "1106")],
        ),
        free(
            "和政县北山草原",
            "50",
            1,
            "和政县买家集镇",
            HZ_DJJG,
            (0.05, 1.05),
            (0.45, 0.28),
            &[state("CY", "0401"), state("CY", "0404")],
        ),
        free(
            "新庄荒地",
            "60",
            1,
            "和政县新庄乡",
            HZ_DJJG,
            (1.1, 0.85),
            (0.25, 0.25),
            &[state("HD", "1206"), state("HD", "1207")],
        ),
    ],
    zones: &[ZoneSpec {
        hxmc: "太子山生物多样性维护生态保护红线",
        hxlx: "生物多样性维护",
        at: (-0.1, -0.9),
        radii: (1.0, 0.4),
    }],
    farmland: &[(-0.2, 0.3), (1.15, -0.2)],
    deposits: &[DepositSpec {
        kqmc: "太子山新营石英岩矿区",
        kz: "冶金用石英岩",
        host: Host::Within(0, 0.08),
        licences: &[],
    }],
};

// ---------------------------------------------------------------------------------------------
// 622926 东乡族自治县

const DX_DJJG: &str = "东乡族自治县自然资源局";
const NALESI: Collective = Collective {
    code: "6229261050040000000",
    name: "那勒寺镇那勒寺村农民集体",
};

pub const DONGXIANG: County = County {
    code: "622926",
    name: "东乡族自治县",
    epsg: WEST,
    centre: (103.39, 35.66),
    half: (0.29, 0.18),
    seed: 0x0062_2926_2021_1031,
    outline_vertices: 24,
    documents: false,
    units: &[
        free(
            "洮河东乡段",
            "21",
            1,
            "东乡族自治县河滩镇、东塬乡",
            PREFECTURE,
            (1.15, -0.3),
            (0.2, 0.9),
            &[
                state("SZY", "1101"),
                state("SD", "1106"),
                state("FZR", "1109"),
            ],
        ),
        free(
            "大夏河东乡段",
            "21",
            2,
            "东乡族自治县达板镇",
            PREFECTURE,
            (-1.15, -0.3),
            (0.2, 0.8),
            &[state("SZY", "1101"), state("SD", "1106")],
        ),
        free(
            "东乡县林场森林",
            "40",
            1,
            "东乡族自治县锁南镇",
            DX_DJJG,
            (0.0, 0.2),
            (0.45, 0.35),
            &[state("SL", "0301"), state("SL", "0305")],
        ),
        free(
            "东乡县南山草原",
            "50",
            1,
            "东乡族自治县果园乡",
            DX_DJJG,
            (0.0, -0.95),
            (0.5, 0.3),
            &[
                state("CY", "0404"),
                state("CY", "0401"),
                state("CY", "0403"),
            ],
        ),
        free(
            "东乡县北山荒地",
            "60",
            1,
            "东乡族自治县北岭乡",
            DX_DJJG,
            (0.25, 1.05),
            (0.4, 0.3),
            &[state("HD", "1206"), state("HD", "1207")],
        ),
        free(
            "那勒寺湿地",
            "30",
            1,
            "东乡族自治县那勒寺镇",
            DX_DJJG,
            (-0.7, 0.85),
            (0.25, 0.2),
            &[
                state("SD", "1108"),
                collective("SD", "1106", &NALESI),
                state("SZY", "1104"),
            ],
        ),
        free(
            "东乡县砖瓦用黏土矿",
            "70",
            1,
            "东乡族自治县东塬乡",
            PROVINCE,
            (0.6, -0.45),
            (0.15, 0.12),
            &[state("FZR", "0602"), state("HD", "1206")],
        ),
    ],
    zones: &[ZoneSpec {
        hxmc: "洮河东乡段水土保持生态保护红线",
        hxlx: "水土保持",
        at: (1.1, 0.25),
        radii: (0.3, 0.45),
    }],
    farmland: &[(-0.5, -0.3), (0.55, 0.6)],
    deposits: &[DepositSpec {
        kqmc: "东乡县东塬砖瓦用黏土矿区",
        kz: "砖瓦用黏土",
        host: Host::Unit(6),
        licences: &[Licence {
            xkzh: "C6229262016077130142210",
            qllx: "采矿权",
            mine: Some(("东乡族自治县东塬砖瓦用黏土矿", "县级", "2026-07-31")),
        }],
    }],
};

// ---------------------------------------------------------------------------------------------
// 622927 积石山保安族东乡族撒拉族自治县

const JSS_DJJG: &str = "积石山保安族东乡族撒拉族自治县自然资源局";
const DAHEJIA: Collective = Collective {
    code: "6229271020030000000",
    name: "大河家镇大河家村农民集体",
};

pub const JISHISHAN: County = County {
    code: "622927",
    name: "积石山保安族东乡族撒拉族自治县",
    epsg: WEST,
    centre: (102.88, 35.72),
    half: (0.22, 0.145),
    seed: 0x0062_2927_2021_1031,
    outline_vertices: 22,
    documents: false,
    units: &[
        free(
            "黄河积石山段",
            "21",
            1,
            "积石山保安族东乡族撒拉族自治县大河家镇",
            PREFECTURE,
            (0.2, 1.1),
            (1.3, 0.2),
            &[
                state("SZY", "1101"),
                state("SD", "1106"),
                state("FZR", "1109"),
            ],
        ),
        free(
            "大河家湿地",
            "30",
            1,
            "积石山保安族东乡族撒拉族自治县大河家镇",
            JSS_DJJG,
            (1.0, 0.55),
            (0.3, 0.2),
            &[state("SD", "1108"), collective("SD", "1106", &DAHEJIA)],
        ),
        free(
            "积石山林场森林",
            "40",
            1,
            "积石山保安族东乡族撒拉族自治县刘集乡",
            JSS_DJJG,
            (-0.4, -0.8),
            (0.5, 0.35),
            &[
                state("SL", "0301"),
                state("SL", "0305"),
                state("SL", "0307"),
            ],
        ),
        free(
            "吹麻滩草原",
            "50",
            1,
            "积石山保安族东乡族撒拉族自治县吹麻滩镇",
            JSS_DJJG,
            (0.65, -0.6),
            (0.35, 0.35),
            &[state("CY", "0401"), state("CY", "0404")],
        ),
        free(
            "石塬荒地",
            "60",
            1,
            "积石山保安族东乡族撒拉族自治县石塬乡",
            JSS_DJJG,
            (-0.95, 0.3),
            (0.3, 0.3),
            &[state("HD", "1207"), state("HD", "1206")],
        ),
        free(
            "积石山县大河家砖瓦用黏土矿",
            "70",
            1,
            "积石山保安族东乡族撒拉族自治县大河家镇",
            PROVINCE,
            (0.0, 0.2),
            (0.2, 0.15),
            &[state("FZR", "0602"), state("HD", "1207")],
        ),
    ],
    zones: &[ZoneSpec {
        hxmc: "黄河积石峡水土保持生态保护红线",
        hxlx: "水土保持",
        at: (0.0, 1.0),
        radii: (0.6, 0.25),
    }],
    farmland: &[(0.7, 0.05), (-0.5, 0.55)],
    deposits: &[DepositSpec {
        kqmc: "积石山县大河家砖瓦用黏土矿区",
        kz: "砖瓦用黏土",
        host: Host::Unit(5),
        licences: &[Licence {
            xkzh: "C6229272014097130135577",
            qllx: "采矿权",
            mine: Some(("积石山县大河家砖瓦用黏土矿", "县级", "2029-09-30")),
        }],
    }],
};

pub const COUNTIES: [&County; 8] = [
    &LINXIA_CITY,
    &LINXIA_COUNTY,
    &KANGLE,
    &YONGJING,
    &GUANGHE,
    &HEZHENG,
    &DONGXIANG,
    &JISHISHAN,
];
