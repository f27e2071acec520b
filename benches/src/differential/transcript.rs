//! What one engine did with one module, in terms both engines share: the
//! compilation verdict, then per argument pattern a fresh instance, its
//! instantiation, and every exported function called in export order, each call with
//! its outcome and the exported state after it.
//!
//! Used by the differential check and the debug-assertion harness.

/// Instances per module, one per argument pattern (see [`args`]).
pub const PATTERNS: usize = 3;

/// wasmi fuel per call (and for instantiation): far more than the module's own
/// fuel global lets it use; running out is inconclusive, not a mismatch.
pub const WASMI_FUEL: u64 = 1_000_000_000;

/// Memory a store may grow to, per memory (both engines, through their store limits).
pub const STORE_MEMORY_BYTES: usize = 4 * 1024 * 1024;

/// Elements a table may grow to (Caplet's default `table_elements`).
pub const STORE_TABLE_ELEMENTS: usize = 10_000;

/// A value type, as both engines see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    I32,
    I64,
    F32,
    F64,
    FuncRef,
    ExternRef,
    /// Anything else (not generated with the configuration used).
    Other,
}

/// A value, with floats as bits and references reduced to null or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
    Ref { null: bool },
    Other,
}

impl Value {
    /// Equal, with every NaN equal to every other NaN of its width.
    pub fn same(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::F32(a), Value::F32(b)) => {
                a == b || (f32::from_bits(*a).is_nan() && f32::from_bits(*b).is_nan())
            }
            (Value::F64(a), Value::F64(b)) => {
                a == b || (f64::from_bits(*a).is_nan() && f64::from_bits(*b).is_nan())
            }
            (a, b) => a == b,
        }
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::I32(v) => write!(f, "i32:{v}"),
            Value::I64(v) => write!(f, "i64:{v}"),
            Value::F32(v) => write!(f, "f32:{}({v:#010x})", f32::from_bits(*v)),
            Value::F64(v) => write!(f, "f64:{}({v:#018x})", f64::from_bits(*v)),
            Value::Ref { null: true } => write!(f, "ref:null"),
            Value::Ref { null: false } => write!(f, "ref:non-null"),
            Value::Other => write!(f, "?"),
        }
    }
}

/// How a call (or an instantiation) ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Returned(Vec<Value>),
    /// A Wasm trap, by category: both engines name their trap codes alike
    /// (`MemoryOutOfBounds`, `UnreachableCodeReached`, ...).
    Trapped(String),
    /// Stack exhaustion or engine fuel: an engine limit, not a Wasm result.
    Inconclusive(String),
    /// Any other error (an instantiation failure that is not a trap, ...).
    Failed(String),
}

impl Outcome {
    /// The same Wasm result: same values (NaN-canonical), or a trap of the same
    /// category, or both failed. `Inconclusive` is never the same.
    pub fn same(&self, other: &Outcome) -> bool {
        match (self, other) {
            (Outcome::Returned(a), Outcome::Returned(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same(y))
            }
            (Outcome::Trapped(a), Outcome::Trapped(b)) => a == b,
            // An instantiation failure is reported as a trap by one engine and as an
            // error by the other (data segment out of bounds): failed is failed.
            (
                Outcome::Trapped(_) | Outcome::Failed(_),
                Outcome::Trapped(_) | Outcome::Failed(_),
            ) => true,
            _ => false,
        }
    }

    pub fn is_inconclusive(&self) -> bool {
        matches!(self, Outcome::Inconclusive(_))
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Returned(values) => {
                write!(f, "returned [")?;
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{v}")?;
                }
                write!(f, "]")
            }
            Outcome::Trapped(code) => write!(f, "trapped: {code}"),
            Outcome::Inconclusive(why) => write!(f, "inconclusive: {why}"),
            Outcome::Failed(why) => write!(f, "failed: {why}"),
        }
    }
}

/// The exported state after a call: memories (size, content hash), globals (value)
/// and tables (size, hash of which elements are null), in export order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    pub memories: Vec<(String, usize, u64)>,
    pub globals: Vec<(String, Value)>,
    pub tables: Vec<(String, u64, u64)>,
}

impl Snapshot {
    /// Orders each list by export name (the engines list exports in different orders).
    pub fn sort(&mut self) {
        self.memories.sort_by(|a, b| a.0.cmp(&b.0));
        self.globals.sort_by(|a, b| a.0.cmp(&b.0));
        self.tables.sort_by(|a, b| a.0.cmp(&b.0));
    }

    /// The first difference, if any.
    pub fn diff(&self, other: &Snapshot) -> Option<String> {
        if self.memories != other.memories {
            return Some(format!(
                "memories {:?} vs {:?}",
                self.memories, other.memories
            ));
        }
        if self.globals.len() != other.globals.len()
            || self
                .globals
                .iter()
                .zip(&other.globals)
                .any(|((n1, v1), (n2, v2))| n1 != n2 || !v1.same(v2))
        {
            return Some(format!("globals {:?} vs {:?}", self.globals, other.globals));
        }
        if self.tables != other.tables {
            return Some(format!("tables {:?} vs {:?}", self.tables, other.tables));
        }
        None
    }
}

/// One step of an instance's life.
#[derive(Clone, Debug)]
pub enum Event {
    Instantiate(Outcome),
    Call {
        export: String,
        args: Vec<Value>,
        outcome: Outcome,
        after: Snapshot,
    },
}

/// Everything one engine did with one module.
#[derive(Clone, Debug)]
pub struct Transcript {
    /// `Err` when the engine refused the module; `limits` marks a refusal by
    /// wasmi's `EnforcedLimits` (Caplet's policy, not Wasm validity).
    pub compiled: Result<(), Refusal>,
    /// One list of events per argument pattern.
    pub instances: Vec<Vec<Event>>,
}

#[derive(Clone, Debug)]
pub struct Refusal {
    pub message: String,
    pub limits: bool,
}

/// A 64-bit hash of bytes (8 bytes at a time, multiply-xor); fast on megabytes.
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().unwrap());
        h = (h ^ word)
            .wrapping_mul(0x0000_0100_0000_01b3)
            .rotate_left(29);
    }
    for &b in chunks.remainder() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Hash of a table's null map.
pub fn hash_nulls(nulls: impl Iterator<Item = bool>) -> u64 {
    let bytes: Vec<u8> = nulls.map(u8::from).collect();
    hash_bytes(&bytes)
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

const I32S: [i32; 10] = [
    0,
    1,
    -1,
    i32::MAX,
    i32::MIN,
    0x7f,
    0x80,
    65536,
    0x1234_5678,
    -65536,
];
const I64S: [i64; 10] = [
    0,
    1,
    -1,
    i64::MAX,
    i64::MIN,
    0xffff_ffff,
    0x1_0000_0000,
    i32::MAX as i64,
    0x1234_5678_9abc_def0,
    -65536,
];
const F32S: [f32; 10] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    f32::NAN,
    f32::INFINITY,
    f32::NEG_INFINITY,
    f32::MAX,
    f32::MIN_POSITIVE,
    2147483648.0,
];
const F64S: [f64; 10] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::MAX,
    f64::MIN_POSITIVE,
    9223372036854775808.0,
];

/// The arguments of a call: pattern 0 all zeros, pattern 1 edge values (0, 1, -1,
/// MAX, MIN, NaN, infinities, ...) rotating with the parameter and call index,
/// pattern 2 drawn from the seed (edge values or random bits). References are null;
/// a random float that is a NaN is the canonical one.
pub fn args(seed: u64, pattern: usize, call: usize, params: &[Ty]) -> Vec<Value> {
    params
        .iter()
        .enumerate()
        .map(|(j, ty)| {
            let (pick, bits) = match pattern {
                0 => (Some(0), 0),
                1 => (Some((j + call) % 10), 0),
                _ => {
                    let r = mix(seed ^ mix((call as u64) << 16 | j as u64));
                    if r & 1 == 0 {
                        (Some((r >> 8) as usize % 10), 0)
                    } else {
                        (None, r)
                    }
                }
            };
            match (ty, pick) {
                (Ty::I32, Some(i)) => Value::I32(I32S[i]),
                (Ty::I32, None) => Value::I32(bits as i32),
                (Ty::I64, Some(i)) => Value::I64(I64S[i]),
                (Ty::I64, None) => Value::I64(bits as i64),
                (Ty::F32, Some(i)) => Value::F32(F32S[i].to_bits()),
                (Ty::F32, None) => {
                    let f = f32::from_bits(bits as u32);
                    Value::F32(if f.is_nan() { f32::NAN } else { f }.to_bits())
                }
                (Ty::F64, Some(i)) => Value::F64(F64S[i].to_bits()),
                (Ty::F64, None) => {
                    let f = f64::from_bits(bits);
                    Value::F64(if f.is_nan() { f64::NAN } else { f }.to_bits())
                }
                (Ty::FuncRef | Ty::ExternRef, _) => Value::Ref { null: true },
                (Ty::Other, _) => Value::Other,
            }
        })
        .collect()
}

/// A trap category the two engines share, or `None` when the trap is an engine
/// limit (stack, fuel, host memory): then the outcome is inconclusive.
pub fn trap_category(code: &str) -> Option<String> {
    match code {
        "StackOverflow" | "OutOfFuel" | "OutOfSystemMemory" | "Interrupt" => None,
        other => Some(other.to_string()),
    }
}
