use crate::build::{FieldTy, Ident, LaneWidth, Layout, SimdTy, SnakeCase, Ty};
use core::{
    fmt::{self, Display},
    ops::{BitAnd, BitOr},
};

macro_rules! apply_macro_for_ops {
    ($mac:ident $(, $param:ident)* $(,)?) => {
        $mac! {
            $($param,)*
            Unary(UnaryOp),
            Binary(BinaryOp),
            Ternary(TernaryOp),
            CmpBranch(CmpBranchOp),
            BranchTable(BranchTableOp),
            Select(SelectOp),
            Load(LoadOp),
            Store(StoreOp),
            GlobalGet(GlobalGetOp),
            GlobalSet(GlobalSetOp),
            TableGet(TableGetOp),
            TableSet(TableSetOp),
            CallIndirect(CallIndirectOp),
            Generic0(GenericOp<0>),
            Generic1(GenericOp<1>),
            Generic2(GenericOp<2>),
            Generic3(GenericOp<3>),
            Generic4(GenericOp<4>),
            Generic5(GenericOp<5>),
            V128ReplaceLane(ReplaceLaneOp),
            V128ExtractLane(V128ExtractLaneOp),
        }
    };
}

macro_rules! impl_from_for_op {
    (
        $($variant:ident($op_ty:ty)),* $(,)?
    ) => {
        #[derive(Copy, Clone)]
        pub enum Op {
            $(
                $variant($op_ty),
            )*
        }

        $(
            impl From<$op_ty> for Op {
                fn from(op: $op_ty) -> Self {
                    Op::$variant(op)
                }
            }
        )*
    };
}
apply_macro_for_ops!(impl_from_for_op);

#[derive(Copy, Clone)]
pub struct Field {
    pub ident: Ident,
    pub ty: FieldTy,
}

impl Field {
    pub fn new(ident: Ident, ty: FieldTy) -> Self {
        Self { ident, ty }
    }
}

impl Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ident = SnakeCase(self.ident);
        let ty = self.ty;
        write!(f, "{ident}: {ty}")
    }
}

/// The kind of an operand of an [`Op`].
#[derive(Copy, Clone, PartialOrd, Ord, PartialEq, Eq)]
pub enum OperandKind {
    /// The operand is a register value.
    Reg,
    /// The operand is a [`Slot`] index.
    Slot,
    /// The operand is an immediate value.
    Immediate,
    /// The operand is a fixed stack slot value.
    Local(u16),
    /// The operand is both a slot and a register value.
    SlotAndReg,
}

impl OperandKind {
    pub fn is_reg(&self) -> bool {
        matches!(self, Self::Reg)
    }

    pub fn is_immediate(&self) -> bool {
        matches!(self, Self::Immediate)
    }

    pub fn field_ty(self, hint: Ty) -> FieldTy {
        match self {
            OperandKind::Slot => FieldTy::Slot,
            OperandKind::Immediate => FieldTy::from(hint),
            OperandKind::Reg => match hint {
                Ty::F32 | Ty::SignF32 => FieldTy::RegF32,
                Ty::F64 | Ty::SignF64 => FieldTy::RegF64,
                _ => FieldTy::RegInt,
            },
            OperandKind::Local(index) => FieldTy::Local(index),
            OperandKind::SlotAndReg => match hint {
                Ty::F32 | Ty::SignF32 => FieldTy::SlotAndRegF32,
                Ty::F64 | Ty::SignF64 => FieldTy::SlotAndRegF64,
                _ => FieldTy::SlotAndRegInt,
            },
        }
    }
}

#[derive(Copy, Clone)]
pub struct GenericOp<const N: usize> {
    pub ident: Ident,
    pub fields: [Field; N],
}

impl<const N: usize> GenericOp<N> {
    pub fn new(ident: Ident, fields: [Field; N]) -> Self {
        Self { ident, fields }
    }
}

#[derive(Copy, Clone)]
pub struct UnaryOp {
    pub ident: Ident,
    pub result_ty: Ty,
    pub value_ty: Ty,
    pub result: OperandKind,
    pub value: OperandKind,
}

impl UnaryOp {
    pub fn new(
        ident: Ident,
        result_ty: Ty,
        value_ty: Ty,
        result: OperandKind,
        value: OperandKind,
    ) -> Self {
        Self {
            ident,
            result_ty,
            value_ty,
            result,
            value,
        }
    }

    pub fn result_field(&self) -> Field {
        Field::new(Ident::Result, self.result.field_ty(self.result_ty))
    }

    pub fn value_field(&self) -> Field {
        Field::new(Ident::Value, self.value.field_ty(self.value_ty))
    }

    pub fn fields(&self) -> [Field; 2] {
        [self.result_field(), self.value_field()]
    }
}

#[derive(Copy, Clone)]
pub struct BinaryOp {
    pub ident: Ident,
    pub result_ty: Ty,
    pub lhs_ty: Ty,
    pub rhs_ty: Ty,
    pub result: OperandKind,
    pub lhs: OperandKind,
    pub rhs: OperandKind,
    pub caps: BinaryOpCaps,
}

impl BinaryOp {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        ident: Ident,
        result_ty: Ty,
        lhs_ty: Ty,
        rhs_ty: Ty,
        result: OperandKind,
        lhs: OperandKind,
        rhs: OperandKind,
        caps: BinaryOpCaps,
    ) -> Self {
        Self {
            ident,
            result_ty,
            lhs_ty,
            rhs_ty,
            result,
            lhs,
            rhs,
            caps,
        }
    }

    pub fn result_field(&self) -> Field {
        Field::new(Ident::Result, self.result.field_ty(self.result_ty))
    }

    pub fn lhs_field(&self) -> Field {
        Field::new(Ident::Lhs, self.lhs.field_ty(self.lhs_ty))
    }

    pub fn rhs_field(&self) -> Field {
        Field::new(Ident::Rhs, self.rhs.field_ty(self.rhs_ty))
    }

    pub fn fields(&self) -> [Field; 3] {
        [self.result_field(), self.lhs_field(), self.rhs_field()]
    }
}

#[derive(Copy, Clone)]
pub struct BinaryOpCaps(u8);

impl BinaryOpCaps {
    pub const NONE: Self = Self(0b0000);
    pub const COMMUTATIVE: Self = Self(0b0001);
    pub const CMP: Self = Self(0b0010);
    pub const SLOT_RESULT: Self = Self(0b0100);

    pub fn is_cmp(self) -> bool {
        (self & Self::CMP).0 != 0
    }

    pub fn is_commutative(self) -> bool {
        (self & Self::COMMUTATIVE).0 != 0
    }

    pub fn allows_slot_result(self) -> bool {
        (self & Self::SLOT_RESULT).0 != 0
    }
}

impl BitAnd for BinaryOpCaps {
    type Output = Self;

    fn bitand(self, rhs: Self) -> Self::Output {
        Self(self.0 & rhs.0)
    }
}

impl BitOr for BinaryOpCaps {
    type Output = Self;

    fn bitor(self, rhs: Self) -> Self::Output {
        Self(self.0 | rhs.0)
    }
}

#[derive(Copy, Clone)]
pub struct TernaryOp {
    pub kind: TernaryOpKind,
}

impl TernaryOp {
    pub fn new(kind: TernaryOpKind) -> Self {
        Self { kind }
    }

    pub fn result_field(&self) -> Field {
        Field::new(Ident::Result, FieldTy::Slot)
    }

    pub fn a_field(&self) -> Field {
        Field::new(Ident::A, FieldTy::Slot)
    }

    pub fn b_field(&self) -> Field {
        Field::new(Ident::B, FieldTy::Slot)
    }

    pub fn c_field(&self) -> Field {
        Field::new(Ident::C, FieldTy::Slot)
    }

    pub fn fields(&self) -> [Field; 4] {
        [
            self.result_field(),
            self.a_field(),
            self.b_field(),
            self.c_field(),
        ]
    }
}

#[derive(Copy, Clone)]
pub enum TernaryOpKind {
    V128Bitselect,
    F32x4RelaxedMadd,
    F32x4RelaxedNmadd,
    F64x2RelaxedMadd,
    F64x2RelaxedNmadd,
    I32x4RelaxedDotI8x16I7x16Add,
}

impl TernaryOpKind {
    pub fn ident(&self) -> Ident {
        match self {
            TernaryOpKind::V128Bitselect => Ident::Bitselect,
            TernaryOpKind::F32x4RelaxedMadd => Ident::RelaxedMadd,
            TernaryOpKind::F32x4RelaxedNmadd => Ident::RelaxedNmadd,
            TernaryOpKind::F64x2RelaxedMadd => Ident::RelaxedMadd,
            TernaryOpKind::F64x2RelaxedNmadd => Ident::RelaxedNmadd,
            TernaryOpKind::I32x4RelaxedDotI8x16I7x16Add => Ident::RelaxedDotI8x16I7x16Add,
        }
    }

    pub fn ident_prefix(&self) -> Ty {
        match self {
            TernaryOpKind::V128Bitselect => Ty::V128,
            TernaryOpKind::F32x4RelaxedMadd => Ty::F32x4,
            TernaryOpKind::F32x4RelaxedNmadd => Ty::F32x4,
            TernaryOpKind::F64x2RelaxedMadd => Ty::F64x2,
            TernaryOpKind::F64x2RelaxedNmadd => Ty::F64x2,
            TernaryOpKind::I32x4RelaxedDotI8x16I7x16Add => Ty::I32x4,
        }
    }
}

#[derive(Copy, Clone)]
pub struct CmpBranchOp {
    pub ident: Ident,
    pub input_ty: Ty,
    pub lhs: OperandKind,
    pub rhs: OperandKind,
}

impl CmpBranchOp {
    pub fn new(ident: Ident, input_ty: Ty, lhs: OperandKind, rhs: OperandKind) -> Self {
        Self {
            ident,
            input_ty,
            lhs,
            rhs,
        }
    }

    pub fn lhs_field(&self) -> Field {
        Field::new(Ident::Lhs, self.lhs.field_ty(self.input_ty))
    }

    pub fn rhs_field(&self) -> Field {
        Field::new(Ident::Rhs, self.rhs.field_ty(self.input_ty))
    }

    pub fn offset_field(&self) -> Field {
        Field::new(Ident::Offset, FieldTy::BranchOffset)
    }

    pub fn fields(&self) -> [Field; 3] {
        [self.offset_field(), self.lhs_field(), self.rhs_field()]
    }
}

#[derive(Copy, Clone)]
pub struct BranchTableOp {
    pub copies: BranchTableCopies,
    pub index: OperandKind,
}

#[derive(Copy, Clone)]
pub enum BranchTableCopies {
    /// No values are being copied when taking a branch.
    None,
    /// A span of values are being copied when taking a branch.
    Span,
}

impl BranchTableOp {
    pub fn new(copies: BranchTableCopies, index: OperandKind) -> Self {
        Self { copies, index }
    }

    pub fn len_targets_field(&self) -> Field {
        Field::new(Ident::LenTargets, FieldTy::U32)
    }

    pub fn index_field(&self) -> Field {
        Field::new(Ident::Index, self.index.field_ty(Ty::U32))
    }

    pub fn values_field(&self) -> Option<Field> {
        match self.copies {
            BranchTableCopies::None => None,
            BranchTableCopies::Span => Some(Field::new(Ident::Values, FieldTy::BoundedSlotSpan)),
        }
    }

    pub fn fields(&self) -> [Option<Field>; 3] {
        [
            Some(self.len_targets_field()),
            Some(self.index_field()),
            self.values_field(),
        ]
    }
}

#[derive(Copy, Clone)]
pub struct SelectOp {
    pub result_ty: Ty,
    pub result: OperandKind,
    pub condition: OperandKind,
    pub true_val: OperandKind,
    pub false_val: OperandKind,
}

impl SelectOp {
    pub fn new(
        result_ty: Ty,
        result: OperandKind,
        condition: OperandKind,
        true_val: OperandKind,
        false_val: OperandKind,
    ) -> Self {
        Self {
            result_ty,
            result,
            condition,
            true_val,
            false_val,
        }
    }

    pub fn result_field(&self) -> Field {
        Field::new(Ident::Result, self.result.field_ty(self.result_ty))
    }

    pub fn condition_field(&self) -> Field {
        Field::new(Ident::Condition, self.condition.field_ty(Ty::I32))
    }

    pub fn true_val_field(&self) -> Field {
        Field::new(Ident::TrueVal, self.true_val.field_ty(self.result_ty))
    }

    pub fn false_val_field(&self) -> Field {
        Field::new(Ident::FalseVal, self.false_val.field_ty(self.result_ty))
    }

    pub fn fields(&self) -> [Field; 4] {
        [
            self.result_field(),
            self.condition_field(),
            self.true_val_field(),
            self.false_val_field(),
        ]
    }
}

/// Describes the memory operand for `load` and `store` operators.
#[derive(Copy, Clone)]
pub enum MemoryOperand {
    /// The `(memory $m)` is provided via immediate operand.
    Immediate,
    /// The operator only operates on `(memory 0)`.
    Mem0,
}

/// Describes the offset operand for `load` and `store` operators.
#[derive(Copy, Clone)]
pub enum OffsetOperand {
    /// A full 64-bit encoded immediate `offset` operand.
    Offset,
    /// An optimized 16-bit encoded immediate `offset`operand.
    Offset16,
}

#[derive(Copy, Clone)]
pub struct LoadOp {
    /// The kind of the load operator.
    pub kind: LoadKind,
    /// The type of the loaded value.
    pub result_ty: Ty,
    /// The `result` operand kind.
    pub result: OperandKind,
    /// The `ptr` field type.
    pub ptr: OperandKind,
    /// The representation of the memory operand.
    pub mem: MemoryOperand,
    /// The representation of the offset operand.
    pub offset: OffsetOperand,
}

impl LoadOp {
    pub fn new(
        kind: LoadKind,
        result_ty: Ty,
        result: OperandKind,
        ptr: OperandKind,
        mem: MemoryOperand,
        offset: OffsetOperand,
    ) -> Self {
        Self {
            kind,
            result_ty,
            result,
            ptr,
            mem,
            offset,
        }
    }

    pub fn result_field(&self) -> Field {
        Field::new(Ident::Result, self.result.field_ty(self.result_ty))
    }

    pub fn ptr_field(&self) -> Field {
        let ptr_ty = match self.ptr {
            OperandKind::Slot => FieldTy::Slot,
            OperandKind::Immediate => FieldTy::Address,
            OperandKind::Reg => FieldTy::RegInt,
            OperandKind::Local(index) => FieldTy::Local(index),
            OperandKind::SlotAndReg => FieldTy::SlotAndRegInt,
        };
        Field::new(Ident::Ptr, ptr_ty)
    }

    pub fn offset_field(&self) -> Option<Field> {
        let offset_ty = match self.ptr {
            OperandKind::Slot | OperandKind::Reg => match self.offset {
                OffsetOperand::Offset => FieldTy::Offset,
                OffsetOperand::Offset16 => FieldTy::Offset16,
            },
            _ => return None,
        };
        Some(Field::new(Ident::Offset, offset_ty))
    }

    pub fn memory_field(&self) -> Option<Field> {
        match self.mem {
            MemoryOperand::Immediate => Some(Field::new(Ident::Memory, FieldTy::MemoryAddr)),
            MemoryOperand::Mem0 => None,
        }
    }

    pub fn fields(&self) -> [Option<Field>; 4] {
        [
            Some(self.result_field()),
            Some(self.ptr_field()),
            self.offset_field(),
            self.memory_field(),
        ]
    }
}

/// The kind of a load operation.
#[derive(Copy, Clone)]
pub enum LoadKind {
    /// Loads a value.
    Value,
    /// Loads a value and extends it to a larger integer value.
    Extend { layout: Layout },
}

impl LoadKind {
    /// Returns the load operation identifier suffix.
    pub fn ident_suffix(&self) -> Option<Ident> {
        let suffix = match self {
            Self::Value => return None,
            Self::Extend { .. } => Ident::Extend,
        };
        Some(suffix)
    }

    /// Returns the result type of the load operator given the loaded type.
    pub fn loaded_layout(&self) -> Option<Layout> {
        let layout = match self {
            LoadKind::Value => return None,
            LoadKind::Extend { layout } => *layout,
        };
        Some(layout)
    }
}

#[derive(Copy, Clone)]
pub struct StoreOp {
    /// The kind of the load operator.
    pub kind: StoreKind,
    /// The type of the value.
    pub value_ty: Ty,
    /// The `ptr` input type.
    pub ptr: OperandKind,
    /// The `value` input type.
    pub value: OperandKind,
    /// The representation of the memory operand.
    pub mem: MemoryOperand,
    /// The representation of the offset operand.
    pub offset: OffsetOperand,
}

impl StoreOp {
    pub fn new(
        kind: StoreKind,
        value_ty: Ty,
        ptr: OperandKind,
        value: OperandKind,
        mem: MemoryOperand,
        offset: OffsetOperand,
    ) -> Self {
        Self {
            kind,
            value_ty,
            ptr,
            value,
            mem,
            offset,
        }
    }

    pub fn ptr_field(&self) -> Field {
        let ptr_ty = match self.ptr {
            OperandKind::Slot => FieldTy::Slot,
            OperandKind::Reg => FieldTy::RegInt,
            OperandKind::Immediate => FieldTy::Address,
            OperandKind::Local(index) => FieldTy::Local(index),
            OperandKind::SlotAndReg => FieldTy::SlotAndRegInt,
        };
        Field::new(Ident::Ptr, ptr_ty)
    }

    pub fn offset_field(&self) -> Option<Field> {
        let offset_ty = match self.ptr {
            OperandKind::Slot | OperandKind::Reg => match self.offset {
                OffsetOperand::Offset16 => FieldTy::Offset16,
                OffsetOperand::Offset => FieldTy::Offset,
            },
            _ => return None,
        };
        Some(Field::new(Ident::Offset, offset_ty))
    }

    pub fn value_field(&self) -> Field {
        let value = self.value;
        let field_ty = match value {
            OperandKind::Slot | OperandKind::Reg | OperandKind::SlotAndReg => {
                value.field_ty(self.value_ty)
            }
            OperandKind::Immediate => match self.kind {
                StoreKind::Value => FieldTy::from(self.value_ty),
                StoreKind::Wrap { wrapped } => FieldTy::from(wrapped),
                StoreKind::Lane { width } => FieldTy::from(width),
            },
            OperandKind::Local(index) => FieldTy::Local(index),
        };
        Field::new(Ident::Value, field_ty)
    }

    pub fn memory_field(&self) -> Option<Field> {
        if matches!(self.mem, MemoryOperand::Mem0) {
            return None;
        }
        Some(Field::new(Ident::Memory, FieldTy::MemoryAddr))
    }

    pub fn laneidx_field(&self) -> Option<Field> {
        match self.kind {
            StoreKind::Lane { width } => Some(Field::new(Ident::Lane, FieldTy::from(width))),
            _ => None,
        }
    }

    pub fn fields(&self) -> [Option<Field>; 5] {
        [
            Some(self.ptr_field()),
            self.offset_field(),
            Some(self.value_field()),
            self.memory_field(),
            self.laneidx_field(),
        ]
    }
}

#[derive(Copy, Clone)]
pub enum Wrapped {
    I8,
    I16,
    I32,
}

/// The kind of a store operation.
#[derive(Copy, Clone)]
pub enum StoreKind {
    /// Stores a value.
    Value,
    /// Stores a wrapped integer value.
    Wrap {
        /// The type that is stored after wrapping.
        wrapped: Wrapped,
    },
    /// Stores a single lane of a `v128` value.
    Lane { width: LaneWidth },
}

impl StoreKind {
    /// Returns the store operation identifier suffix.
    pub fn ident_suffix(&self) -> Option<Ident> {
        let suffix = match self {
            Self::Value => return None,
            Self::Wrap { .. } => Ident::Wrap,
            Self::Lane { .. } => Ident::Lane,
        };
        Some(suffix)
    }

    /// Returns the stored [`Ty`] of `None` if not enforced by `self`.
    pub fn stored_ty(&self) -> Option<Ty> {
        let stored_ty = match self {
            Self::Value => return None,
            Self::Wrap { wrapped } => match wrapped {
                Wrapped::I8 => Ty::Bits8,
                Wrapped::I16 => Ty::Bits16,
                Wrapped::I32 => Ty::Bits32,
            },
            Self::Lane { width } => match width {
                LaneWidth::W8 => Ty::Bits8,
                LaneWidth::W16 => Ty::Bits16,
                LaneWidth::W32 => Ty::Bits32,
                LaneWidth::W64 => Ty::Bits64,
            },
        };
        Some(stored_ty)
    }
}

#[derive(Copy, Clone)]
pub struct GlobalGetOp {
    /// The type of the global variable value.
    pub result_ty: Ty,
    /// The result location of the `global.get`.
    pub result: OperandKind,
}

impl GlobalGetOp {
    pub fn new(result_ty: Ty, result: OperandKind) -> Self {
        Self { result_ty, result }
    }

    pub fn result_field(&self) -> Field {
        let result_ty = self.result.field_ty(self.result_ty);
        Field::new(Ident::Result, result_ty)
    }

    pub fn global_field(&self) -> Field {
        Field::new(Ident::Global, FieldTy::GlobalAddr)
    }

    pub fn fields(&self) -> [Field; 2] {
        [self.global_field(), self.result_field()]
    }
}

#[derive(Copy, Clone)]
pub struct GlobalSetOp {
    /// The type of the global variable value.
    pub value_ty: Ty,
    /// The result location of the `global.get`.
    pub value: OperandKind,
}

impl GlobalSetOp {
    pub fn new(value_ty: Ty, value: OperandKind) -> Self {
        Self { value_ty, value }
    }

    pub fn value_field(&self) -> Field {
        let value_ty = self.value.field_ty(self.value_ty);
        Field::new(Ident::Value, value_ty)
    }

    pub fn global_field(&self) -> Field {
        Field::new(Ident::Global, FieldTy::GlobalAddr)
    }

    pub fn fields(&self) -> [Field; 2] {
        [self.global_field(), self.value_field()]
    }
}

#[derive(Copy, Clone)]
pub struct TableGetOp {
    /// The result operand.
    pub result: OperandKind,
    /// The `index` type.
    pub index: OperandKind,
}

impl TableGetOp {
    pub fn new(result: OperandKind, index: OperandKind) -> Self {
        Self { result, index }
    }

    pub fn result_field(&self) -> Field {
        let result_ty = self.result.field_ty(Ty::U32);
        Field::new(Ident::Result, result_ty)
    }

    pub fn index_field(&self) -> Field {
        let index_ty = self.index.field_ty(Ty::U32);
        Field::new(Ident::Index, index_ty)
    }

    pub fn table_field(&self) -> Field {
        Field::new(Ident::Table, FieldTy::TableAddr)
    }

    pub fn fields(&self) -> [Field; 3] {
        [self.result_field(), self.index_field(), self.table_field()]
    }
}

#[derive(Copy, Clone)]
pub struct TableSetOp {
    /// The `index` input.
    pub index: OperandKind,
    /// The `value` input.
    pub value: OperandKind,
}

impl TableSetOp {
    pub fn new(index: OperandKind, value: OperandKind) -> Self {
        Self { index, value }
    }

    pub fn index_field(&self) -> Field {
        let index_ty = self.index.field_ty(Ty::U32);
        Field::new(Ident::Index, index_ty)
    }

    pub fn value_field(&self) -> Field {
        let value_ty = self.value.field_ty(Ty::U32);
        Field::new(Ident::Value, value_ty)
    }

    pub fn table_field(&self) -> Field {
        Field::new(Ident::Table, FieldTy::TableAddr)
    }

    pub fn fields(&self) -> [Field; 3] {
        [self.table_field(), self.index_field(), self.value_field()]
    }
}

#[derive(Copy, Clone)]
pub enum CallKind {
    Nested,
    Tail,
}

#[derive(Copy, Clone)]
pub struct CallIndirectOp {
    pub kind: CallKind,
    pub index: OperandKind,
    pub table: TableOperand,
}

/// The table operand kind.
#[derive(Copy, Clone)]
pub enum TableOperand {
    /// Always uses `(table 0)`.
    Table0,
    /// Encodes a 32-bit table address.
    Table,
}

impl From<TableOperand> for FieldTy {
    fn from(value: TableOperand) -> Self {
        match value {
            TableOperand::Table0 => FieldTy::Table0,
            TableOperand::Table => FieldTy::TableAddr,
        }
    }
}

impl CallIndirectOp {
    pub fn new(kind: CallKind, index: OperandKind, table: TableOperand) -> Self {
        Self { kind, index, table }
    }

    pub fn func_type_field(&self) -> Field {
        Field::new(Ident::FuncType, FieldTy::FuncType)
    }

    pub fn table_field(&self) -> Field {
        Field::new(Ident::Table, self.table.into())
    }

    pub fn params_field(&self) -> Field {
        Field::new(Ident::Params, FieldTy::BoundedSlotSpan)
    }

    pub fn index_field(&self) -> Field {
        let index_ty = self.index.field_ty(Ty::U32);
        Field::new(Ident::Index, index_ty)
    }

    pub fn fields(&self) -> [Field; 4] {
        [
            self.table_field(),
            self.func_type_field(),
            self.params_field(),
            self.index_field(),
        ]
    }
}

#[derive(Copy, Clone)]
pub struct V128ExtractLaneOp {
    pub ty: SimdTy,
}

impl V128ExtractLaneOp {
    pub fn new(ty: SimdTy) -> Self {
        Self { ty }
    }

    pub fn result_field(&self) -> Field {
        let result_ty = match self.ty {
            SimdTy::I8x16
            | SimdTy::U8x16
            | SimdTy::I16x8
            | SimdTy::U16x8
            | SimdTy::U32x4
            | SimdTy::U64x2 => FieldTy::RegInt,
            SimdTy::F32x4 => FieldTy::RegF32,
            SimdTy::F64x2 => FieldTy::RegF64,
        };
        Field::new(Ident::Result, result_ty)
    }

    pub fn value_field(&self) -> Field {
        Field::new(Ident::Value, FieldTy::Slot)
    }

    pub fn lane_field(&self) -> Field {
        Field::new(Ident::Lane, self.ty.lane_ty())
    }

    pub fn fields(&self) -> [Field; 3] {
        [self.result_field(), self.value_field(), self.lane_field()]
    }
}

#[derive(Copy, Clone)]
pub struct ReplaceLaneOp {
    /// The type of the value to be splatted.
    pub ty: SimdTy,
    /// The `value` used for replacing.
    pub value: OperandKind,
}

impl ReplaceLaneOp {
    pub fn new(ty: SimdTy, value: OperandKind) -> Self {
        Self { ty, value }
    }

    pub fn result_field(&self) -> Field {
        Field::new(Ident::Result, FieldTy::Slot)
    }

    pub fn v128_field(&self) -> Field {
        Field::new(Ident::V128, FieldTy::Slot)
    }

    pub fn value_field(&self) -> Field {
        let value_ty = match self.value {
            OperandKind::Slot => FieldTy::Slot,
            OperandKind::SlotAndReg => match self.ty.item_ty() {
                FieldTy::F32 => FieldTy::SlotAndRegF32,
                FieldTy::F64 => FieldTy::SlotAndRegF64,
                _ => FieldTy::SlotAndRegInt,
            },
            OperandKind::Reg => match self.ty.item_ty() {
                FieldTy::F32 => FieldTy::RegF32,
                FieldTy::F64 => FieldTy::RegF64,
                _ => FieldTy::RegInt,
            },
            OperandKind::Immediate => self.ty.item_ty(),
            OperandKind::Local(index) => FieldTy::Local(index),
        };
        Field::new(Ident::Value, value_ty)
    }

    pub fn lane_field(&self) -> Field {
        Field::new(Ident::Lane, self.ty.lane_ty())
    }

    pub fn fields(&self) -> [Field; 4] {
        [
            self.result_field(),
            self.v128_field(),
            self.value_field(),
            self.lane_field(),
        ]
    }
}
