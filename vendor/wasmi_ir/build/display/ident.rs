use crate::build::{
    display::utils::{DisplayConcat, DisplayMaybe, IntoDisplayMaybe as _},
    ident::{CamelCase, Case, Ident, Sep, SnakeCase},
    op::{
        BinaryOp,
        BranchTableCopies,
        BranchTableOp,
        CallIndirectOp,
        CallKind,
        CmpBranchOp,
        GenericOp,
        GlobalGetOp,
        GlobalSetOp,
        LoadOp,
        MemoryOperand,
        OffsetOperand,
        OperandKind,
        ReplaceLaneOp,
        SelectOp,
        StoreOp,
        TableGetOp,
        TableOperand,
        TableSetOp,
        TernaryOp,
        UnaryOp,
        V128ExtractLaneOp,
    },
    ty::{Layout, SimdTy, Ty},
};
use core::fmt::{self, Display};

pub struct DisplayIdent<T> {
    pub value: T,
    pub case: Case,
}

impl<T> DisplayIdent<T> {
    pub fn camel(value: T) -> Self {
        Self {
            value,
            case: Case::Camel,
        }
    }

    pub fn snake(value: T) -> Self {
        Self {
            value,
            case: Case::Snake,
        }
    }

    pub fn map<V>(&self, value: V) -> DisplayIdent<V> {
        DisplayIdent {
            value,
            case: self.case,
        }
    }
}

impl Display for CamelCase<Ty> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let s = match self.0 {
            Ty::Bits8 => "8",
            Ty::Bits16 => "16",
            Ty::Bits32 => "32",
            Ty::Bits64 => "64",
            Ty::Bits8x8 => "8x8",
            Ty::Bits16x4 => "16x4",
            Ty::Bits32x2 => "32x2",
            Ty::I32 => "I32",
            Ty::I64 => "I64",
            Ty::U8 => "U8",
            Ty::U16 => "U16",
            Ty::U32 => "U32",
            Ty::U64 => "U64",
            Ty::NonZeroI32 => "I32",
            Ty::NonZeroI64 => "I64",
            Ty::NonZeroU32 => "U32",
            Ty::NonZeroU64 => "U64",
            Ty::F32 => "F32",
            Ty::F64 => "F64",
            Ty::SignF32 => "F32",
            Ty::SignF64 => "F64",
            Ty::V128 => "V128",
            Ty::I8x16 => "I8x16",
            Ty::I16x8 => "I16x8",
            Ty::I32x4 => "I32x4",
            Ty::I64x2 => "I64x2",
            Ty::U8x16 => "U8x16",
            Ty::U16x8 => "U16x8",
            Ty::U32x4 => "U32x4",
            Ty::U64x2 => "U64x2",
            Ty::F32x4 => "F32x4",
            Ty::F64x2 => "F64x2",
            Ty::ShiftAmount => "U8",
        };
        f.write_str(s)
    }
}

impl Display for SnakeCase<Ty> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let s = match self.0 {
            Ty::Bits8 => "8",
            Ty::Bits16 => "16",
            Ty::Bits32 => "32",
            Ty::Bits64 => "64",
            Ty::Bits8x8 => "8x8",
            Ty::Bits16x4 => "16x4",
            Ty::Bits32x2 => "32x2",
            Ty::I32 => "i32",
            Ty::I64 => "i64",
            Ty::U8 => "u8",
            Ty::U16 => "u16",
            Ty::U32 => "u32",
            Ty::U64 => "u64",
            Ty::NonZeroI32 => "i32",
            Ty::NonZeroI64 => "i64",
            Ty::NonZeroU32 => "u32",
            Ty::NonZeroU64 => "u64",
            Ty::F32 => "f32",
            Ty::F64 => "f64",
            Ty::SignF32 => "f32",
            Ty::SignF64 => "f64",
            Ty::V128 => "v128",
            Ty::I8x16 => "i8x16",
            Ty::I16x8 => "i16x8",
            Ty::I32x4 => "i32x4",
            Ty::I64x2 => "i64x2",
            Ty::U8x16 => "u8x16",
            Ty::U16x8 => "u16x8",
            Ty::U32x4 => "u32x4",
            Ty::U64x2 => "u64x2",
            Ty::F32x4 => "f32x4",
            Ty::F64x2 => "f64x2",
            Ty::ShiftAmount => "u8",
        };
        f.write_str(s)
    }
}

/// [`Display`] wrapper for types that can act as operator identifier prefixes.
#[derive(Clone, Copy)]
#[repr(transparent)]
pub struct IdentPrefix<T>(pub T);

impl Display for CamelCase<IdentPrefix<Ty>> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        CamelCase(self.0.0).fmt(f)
    }
}

impl Display for SnakeCase<IdentPrefix<Ty>> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        SnakeCase(self.0.0).fmt(f)?;
        SnakeCase(Sep).fmt(f)?;
        Ok(())
    }
}

impl Display for IdentSuffix<Layout> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let s = match self.0 {
            Layout::Bits8 => "8",
            Layout::Bits16 => "16",
            Layout::Bits32 => "32",
            Layout::Bits64 => "64",
            Layout::Bits128 => "128",
            Layout::Bits8x8 => "8x8",
            Layout::Bits16x4 => "16x4",
            Layout::Bits32x2 => "32x2",
        };
        f.write_str(s)
    }
}

impl Display for CamelCase<SimdTy> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self.0 {
            SimdTy::I8x16 => "I8x16",
            SimdTy::U8x16 => "U8x16",
            SimdTy::I16x8 => "I16x8",
            SimdTy::U16x8 => "U16x8",
            SimdTy::U32x4 => "U32x4",
            SimdTy::U64x2 => "U64x2",
            SimdTy::F32x4 => "F32x4",
            SimdTy::F64x2 => "F64x2",
        };
        f.write_str(s)
    }
}

impl Display for SnakeCase<SimdTy> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self.0 {
            SimdTy::I8x16 => "i8x16",
            SimdTy::U8x16 => "u8x16",
            SimdTy::I16x8 => "i16x8",
            SimdTy::U16x8 => "u16x8",
            SimdTy::U32x4 => "u32x4",
            SimdTy::U64x2 => "u64x2",
            SimdTy::F32x4 => "f32x4",
            SimdTy::F64x2 => "f64x2",
        };
        f.write_str(s)
    }
}

/// [`Display`] wrapper for types that can act as operator identifier suffices.
#[derive(Clone, Copy)]
#[repr(transparent)]
pub struct IdentSuffix<T>(pub T);

impl Display for CamelCase<IdentSuffix<Ty>> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        CamelCase(self.0.0).fmt(f)
    }
}

impl Display for SnakeCase<IdentSuffix<Ty>> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self.0.0 {
            | Ty::Bits8
            | Ty::Bits16
            | Ty::Bits32
            | Ty::Bits64
            | Ty::Bits8x8
            | Ty::Bits16x4
            | Ty::Bits32x2 => {}
            _ => SnakeCase(Sep).fmt(f)?,
        }
        SnakeCase(self.0.0).fmt(f)
    }
}

/// [`Display`] wrapper for types that can act as suffices for operator identifiers.
#[derive(Clone, Copy)]
#[repr(transparent)]
pub struct Suffix<T>(pub T);

impl Display for CamelCase<Suffix<OperandKind>> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let s = match self.0.0 {
            OperandKind::Slot => "S",
            OperandKind::SlotAndReg => "Rs_",
            OperandKind::Reg => "R",
            OperandKind::Immediate => "I",
            OperandKind::Local(index) => return write!(f, "S{index}"),
        };
        f.write_str(s)
    }
}

impl Display for SnakeCase<Suffix<OperandKind>> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let s = match self.0.0 {
            OperandKind::Slot => "s",
            OperandKind::SlotAndReg => "rs_",
            OperandKind::Reg => "r",
            OperandKind::Immediate => "i",
            OperandKind::Local(index) => return write!(f, "s{index}"),
        };
        f.write_str(s)
    }
}

impl Display for DisplayIdent<&'_ UnaryOp> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let case = self.case;
        let op = self.value;
        let ident = case.wrap(op.ident);
        let prefix_ty = match (op.result_ty.is_v128(), op.value_ty.is_v128()) {
            (true, true) | (true, false) | (false, false) => op.result_ty,
            (false, true) => op.value_ty,
        };
        let ident_prefix = case.wrap(IdentPrefix(prefix_ty));
        let ident_suffix = match op.value_ty != prefix_ty {
            true => Some(IdentSuffix(op.value_ty)),
            false => None,
        };
        let ident_suffix = ident_suffix.map(|i| case.wrap(i)).display_maybe();
        let result_suffix = case.wrap(Suffix(op.result));
        let value_suffix = SnakeCase(Suffix(op.value));
        write!(
            f,
            "{ident_prefix}{ident}{ident_suffix}_{result_suffix}{value_suffix}"
        )
    }
}

impl Display for DisplayIdent<&'_ BinaryOp> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let case = self.case;
        let op = self.value;
        let ident = case.wrap(op.ident);
        let is_cmp = op.caps.is_cmp();
        let ident_prefix = match is_cmp {
            true => case.wrap(IdentPrefix(op.lhs_ty)),
            false => case.wrap(IdentPrefix(op.result_ty)),
        };
        let ident_suffix = match op.result_ty != op.lhs_ty {
            true => Some(IdentSuffix(op.rhs_ty)),
            false => None,
        };
        let ident_suffix = ident_suffix
            .filter(|_| !is_cmp)
            .map(|i| case.wrap(i))
            .display_maybe();
        let result_suffix = case.wrap(Suffix(op.result));
        let lhs_suffix = SnakeCase(Suffix(op.lhs));
        let rhs_suffix = SnakeCase(Suffix(op.rhs));
        write!(
            f,
            "{ident_prefix}{ident}{ident_suffix}_{result_suffix}{lhs_suffix}{rhs_suffix}"
        )
    }
}

impl Display for DisplayIdent<&'_ TernaryOp> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let case = self.case;
        let op = self.value;
        let kind = op.kind;
        let ident = case.wrap(kind.ident());
        let ident_prefix = case.wrap(IdentPrefix(kind.ident_prefix()));
        let result_suffix = case.wrap(Suffix(OperandKind::Slot));
        let a_suffix = SnakeCase(Suffix(OperandKind::Slot));
        let b_suffix = SnakeCase(Suffix(OperandKind::Slot));
        let c_suffix = SnakeCase(Suffix(OperandKind::Slot));
        write!(
            f,
            "{ident_prefix}{ident}_{result_suffix}{a_suffix}{b_suffix}{c_suffix}"
        )
    }
}

impl Display for DisplayIdent<&'_ CmpBranchOp> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let case = self.case;
        let sep = case.wrap(Sep);
        let op = self.value;
        let branch = case.wrap(Ident::Branch);
        let ident = case.wrap(op.ident);
        let input_ident = case.wrap(IdentPrefix(op.input_ty));
        let lhs_suffix = case.wrap(Suffix(self.value.lhs));
        let rhs_suffix = SnakeCase(Suffix(self.value.rhs));
        write!(
            f,
            "{branch}{sep}{input_ident}{ident}_{lhs_suffix}{rhs_suffix}"
        )
    }
}

impl Display for DisplayIdent<&'_ BranchTableOp> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let case = self.case;
        let op = self.value;
        let ident = case.wrap(Ident::BranchTable);
        let copies_suffix = match op.copies {
            BranchTableCopies::None => DisplayMaybe::None,
            BranchTableCopies::Span => {
                let sep = case.wrap(Sep);
                let span = case.wrap(Ident::Span);
                DisplayMaybe::Some(DisplayConcat((sep, span)))
            }
        };
        let index_suffix = case.wrap(Suffix(op.index));
        write!(f, "{ident}{copies_suffix}_{index_suffix}")
    }
}

impl Display for DisplayIdent<&'_ SelectOp> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let case = self.case;
        let op = self.value;
        let select = case.wrap(Ident::Select);
        let result_prefix = case.wrap(IdentPrefix(op.result_ty));
        let result_suffix = case.wrap(Suffix(op.result));
        let condition_suffix = SnakeCase(Suffix(op.condition));
        let tval_suffix = SnakeCase(Suffix(op.true_val));
        let fval_suffix = SnakeCase(Suffix(op.false_val));
        write!(
            f,
            "{result_prefix}{select}_{result_suffix}{condition_suffix}{tval_suffix}{fval_suffix}"
        )
    }
}

impl Display for DisplayIdent<MemoryOperand> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let MemoryOperand::Mem0 = self.value {
            let case = self.case;
            case.wrap(Sep).fmt(f)?;
            case.wrap(Ident::Mem0).fmt(f)?;
        }
        Ok(())
    }
}

impl Display for DisplayIdent<OffsetOperand> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let OffsetOperand::Offset16 = self.value {
            let case = self.case;
            case.wrap(Sep).fmt(f)?;
            case.wrap(Ident::Offset16).fmt(f)?;
        }
        Ok(())
    }
}

impl Display for DisplayIdent<&'_ LoadOp> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let case = self.case;
        let op = self.value;
        let sep = case.wrap(Sep);
        let ident = case.wrap(Ident::Load);
        let result_suffix = case.wrap(Suffix(op.result));
        let ptr_suffix = SnakeCase(Suffix(op.ptr));
        let loaded_suffix = op.kind.loaded_layout().map(IdentSuffix).display_maybe();
        let ident_prefix = case.wrap(IdentPrefix(op.result_ty));
        let ident_suffix = op
            .kind
            .ident_suffix()
            .map(|v| (sep, case.wrap(v)))
            .map(DisplayConcat)
            .display_maybe();
        let mem_suffix = self.map(op.mem);
        let offset_suffix = self.map(op.offset);
        write!(
            f,
            "{ident_prefix}{ident}{ident_suffix}{loaded_suffix}{mem_suffix}{offset_suffix}_{result_suffix}{ptr_suffix}",
        )
    }
}

impl Display for DisplayIdent<&'_ StoreOp> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let case = self.case;
        let sep = case.wrap(Sep);
        let op = self.value;
        let ident = case.wrap(Ident::Store);
        let ident_suffix = op
            .kind
            .ident_suffix()
            .map(|v| (sep, case.wrap(v)))
            .map(DisplayConcat)
            .display_maybe();
        let stored_suffix = op
            .kind
            .stored_ty()
            .map(IdentSuffix)
            .map(|suffix| case.wrap(suffix))
            .display_maybe();
        let ptr_suffix = case.wrap(Suffix(op.ptr));
        let value_suffix = SnakeCase(Suffix(op.value));
        let ident_prefix = case.wrap(op.value_ty);
        let mem_suffix = self.map(op.mem);
        let offset_suffix = self.map(op.offset);
        write!(
            f,
            "{ident_prefix}{sep}{ident}{ident_suffix}{stored_suffix}{mem_suffix}{offset_suffix}_{ptr_suffix}{value_suffix}",
        )
    }
}

impl<const N: usize> Display for DisplayIdent<&'_ GenericOp<N>> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.case.wrap(self.value.ident).fmt(f)
    }
}

impl Display for DisplayIdent<&'_ GlobalGetOp> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let case = self.case;
        let ident = case.wrap(Ident::GlobalGet);
        let sep = case.wrap(Sep);
        let op = self.value;
        let result_ty = case.wrap(op.result_ty);
        let result_suffix = case.wrap(Suffix(op.result));
        write!(f, "{ident}{sep}{result_ty}_{result_suffix}")
    }
}

impl Display for DisplayIdent<&'_ GlobalSetOp> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let case = self.case;
        let ident = case.wrap(Ident::GlobalSet);
        let sep = case.wrap(Sep);
        let op = self.value;
        let value_ty = case.wrap(op.value_ty);
        let value_suffix = case.wrap(Suffix(op.value));
        write!(f, "{ident}{sep}{value_ty}_{value_suffix}")
    }
}

impl Display for DisplayIdent<&'_ TableGetOp> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let case = self.case;
        let ident = case.wrap(Ident::TableGet);
        let op = self.value;
        let result_suffix = case.wrap(Suffix(op.result));
        let index_suffix = SnakeCase(Suffix(op.index));
        write!(f, "{ident}_{result_suffix}{index_suffix}")
    }
}

impl Display for DisplayIdent<&'_ TableSetOp> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let case = self.case;
        let ident = case.wrap(Ident::TableSet);
        let index_suffix = case.wrap(Suffix(self.value.index));
        let value_suffix = SnakeCase(Suffix(self.value.value));
        write!(f, "{ident}_{index_suffix}{value_suffix}")
    }
}

impl Display for DisplayIdent<&'_ CallIndirectOp> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let case = self.case;
        let op = self.value;
        let ident = case.wrap(Ident::CallIndirect);
        let sep = case.wrap(Sep);
        let return_ident = case.wrap(Ident::Return);
        let prefix = match op.kind {
            CallKind::Nested => None,
            CallKind::Tail => Some(DisplayConcat((return_ident, sep))),
        }
        .display_maybe();
        let table_suffix = match op.table {
            TableOperand::Table0 => Some(DisplayConcat((sep, case.wrap(Ident::Table0)))),
            TableOperand::Table => None,
        }
        .display_maybe();
        let index_suffix = case.wrap(Suffix(op.index));
        write!(f, "{prefix}{ident}{table_suffix}_{index_suffix}")
    }
}

impl Display for DisplayIdent<&'_ V128ExtractLaneOp> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let case = self.case;
        let op = self.value;
        let ident = case.wrap(Ident::ExtractLane);
        let lane_ty = case.wrap(IdentPrefix(Ty::from(op.ty)));
        let result_suffix = case.wrap(Suffix(OperandKind::Reg));
        let v128_suffix = SnakeCase(Suffix(OperandKind::Slot));
        write!(f, "{lane_ty}{ident}_{result_suffix}{v128_suffix}")
    }
}

impl Display for DisplayIdent<&'_ ReplaceLaneOp> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let case = self.case;
        let op = self.value;
        let ident = case.wrap(Ident::ReplaceLane);
        let ty = case.wrap(op.ty);
        let sep = case.wrap(Sep);
        let result_suffix = case.wrap(Suffix(OperandKind::Slot));
        let v128_suffix = SnakeCase(Suffix(OperandKind::Slot));
        let value_suffix = SnakeCase(Suffix(op.value));
        write!(
            f,
            "{ty}{sep}{ident}_{result_suffix}{v128_suffix}{value_suffix}"
        )
    }
}
