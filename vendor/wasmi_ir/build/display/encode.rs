//! Caplet patch: `impl Encode for Op` with one match arm per operand layout.
//!
//! Upstream generates one arm per operator, each writing its own `OpCode` and
//! fields: about 500 arms that differ only in a constant, 29.6 KiB of Cortex-M4 code
//! in Caplet's firmware. Operators whose encoded fields have the same names and
//! types share an arm here (an or-pattern), and the arm writes `self.code()`. Fields
//! that encode to no bytes (registers, `Local`, `Table0`: `FieldTy::is_unit`) are
//! left out of the pattern (`..`), so they do not split a group. The bytes written
//! are the same as upstream's, in the same order.
use crate::build::{
    display::{Indent, ident::DisplayIdent},
    ident::SnakeCase,
    op::{
        BinaryOp,
        BranchTableOp,
        CallIndirectOp,
        CmpBranchOp,
        Field,
        GenericOp,
        GlobalGetOp,
        GlobalSetOp,
        LoadOp,
        Op,
        ReplaceLaneOp,
        SelectOp,
        StoreOp,
        TableGetOp,
        TableSetOp,
        TernaryOp,
        UnaryOp,
        V128ExtractLaneOp,
    },
};
use crate::build::isa::Isa;
use core::fmt::{self, Display, Write as _};

pub struct DisplayEncode<T> {
    pub value: T,
    pub indent: Indent,
}

impl<T> DisplayEncode<T> {
    pub fn new(value: T, indent: Indent) -> Self {
        Self { value, indent }
    }
}

/// The fields of an operator, in the order they are encoded.
trait EncodedFields {
    fn encoded_fields(&self) -> Vec<Field>;
}

macro_rules! impl_encoded_fields {
    ( $($ty:ty),* $(,)? ) => {
        $(
            impl EncodedFields for $ty {
                fn encoded_fields(&self) -> Vec<Field> {
                    self.fields().into_iter().filter_map(Option::<Field>::from).collect()
                }
            }
        )*
    };
}
impl_encoded_fields! {
    UnaryOp,
    BinaryOp,
    TernaryOp,
    CmpBranchOp,
    CallIndirectOp,
    BranchTableOp,
    SelectOp,
    LoadOp,
    GlobalGetOp,
    GlobalSetOp,
    StoreOp,
    TableGetOp,
    TableSetOp,
    ReplaceLaneOp,
    V128ExtractLaneOp,
}

impl<const N: usize> EncodedFields for GenericOp<N> {
    fn encoded_fields(&self) -> Vec<Field> {
        self.fields.to_vec()
    }
}

macro_rules! impl_encoded_fields_for_op {
    ( $($variant:ident($op_ty:ty)),* $(,)? ) => {
        impl EncodedFields for Op {
            fn encoded_fields(&self) -> Vec<Field> {
                match self {
                    $( Op::$variant(op) => op.encoded_fields(), )*
                }
            }
        }
    };
}
apply_macro_for_ops!(impl_encoded_fields_for_op);

/// Operators with the same encoded fields (names and types, unit fields left out), in
/// order of first use.
struct Layout {
    /// `name: Type, ...`: the key operators are grouped by.
    key: String,
    /// The field names, as bound by the match arm.
    bindings: Vec<String>,
    /// The operators' names (camel case).
    ops: Vec<String>,
}

fn layouts(isa: &Isa) -> Vec<Layout> {
    let mut layouts: Vec<Layout> = Vec::new();
    for op in &isa.ops {
        let fields: Vec<Field> = op
            .encoded_fields()
            .into_iter()
            .filter(|field| !field.ty.is_unit())
            .collect();
        let key = fields
            .iter()
            .map(|field| field.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let ident = DisplayIdent::camel(op).to_string();
        match layouts.iter_mut().find(|layout| layout.key == key) {
            Some(layout) => layout.ops.push(ident),
            None => layouts.push(Layout {
                key,
                bindings: fields
                    .iter()
                    .map(|field| SnakeCase(field.ident).to_string())
                    .collect(),
                ops: vec![ident],
            }),
        }
    }
    layouts
}

impl Display for DisplayEncode<&'_ Isa> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let indent = self.indent;
        let arm_indent = indent.inc_by(3);
        let mut arms = String::new();
        for layout in layouts(self.value) {
            let bindings = layout.bindings.join(", ");
            let mut pattern = String::new();
            for (n, op) in layout.ops.iter().enumerate() {
                if n > 0 {
                    pattern.push_str(" | ");
                }
                match bindings.is_empty() {
                    true => write!(pattern, "Self::{op} {{ .. }}")?,
                    false => write!(pattern, "Self::{op} {{ {bindings}, .. }}")?,
                }
            }
            writeln!(
                arms,
                "{arm_indent}{pattern} => (code, {bindings}).encode(encoder),"
            )?;
        }
        write!(
            f,
            "\
            {indent}impl Encode for Op {{\n\
            {indent}    fn encode<E: Encoder>(&self, encoder: &mut E) -> Result<E::Pos, E::Error> {{\n\
            {indent}        let code = self.code();\n\
            {indent}        match self {{\n\
                                {arms}\
            {indent}        }}\n\
            {indent}    }}\n\
            {indent}}}\n\
        "
        )
    }
}
