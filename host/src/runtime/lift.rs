//! What a plugin returns, lifted with every length checked before anything is copied.
//!
//! Lifting copies a result out of the sandbox. Strings and lists are pointers into guest memory,
//! and nothing stops a plugin from returning a thousand findings whose texts all point at the same
//! 60 MiB: lifted naively, that is 60 GiB of host memory before any validation could look. The
//! types here mirror the contract's result types, refuse an oversized text or list from its
//! declared length alone, and charge every text and list against one budget per call.
//!
//! They implement wasmtime's lifting traits by delegating to `String` and `Vec` once the length
//! is checked; those traits' methods are hidden from wasmtime's documentation, so a wasmtime
//! upgrade may need this module adjusted (the type check at load names any mismatch).

// The lifting traits are unsafe to implement, and calling a checked export without checking its
// type again on every call is unsafe too; both stay inside this module.
#![allow(unsafe_code)]

use std::cell::Cell;
use std::marker::PhantomData;

use wasmtime::component::__internal::{CanonicalAbiInfo, InstanceType, InterfaceType, LiftContext};
use wasmtime::component::{ComponentType, Func, Lift, TypedFunc};
use wasmtime::{AsContextMut, ValRaw};

use super::validate::{MAX_ACTIONS, MAX_FINDINGS, MAX_LIST, MAX_NAME, MAX_TEXT, MAX_VALUE_TEXT};
use crate::bindings::{Action, Alert, Comparison, FieldDrift, Finding, FindingKind, RuleError};
use crate::bindings::{Item, Severity, Value};

/// Most bytes one call's result may make the host allocate for its texts and lists in all.
pub const MAX_RESULT_BYTES: usize = 4 << 20;

thread_local! {
    static BUDGET: Cell<usize> = const { Cell::new(MAX_RESULT_BYTES) };
}

/// Runs one plugin call with a fresh budget for its result.
fn budgeted<T>(call: impl FnOnce() -> T) -> T {
    BUDGET.with(|budget| budget.set(MAX_RESULT_BYTES));
    call()
}

type CompareFunc<'a> = TypedFunc<(&'a Comparison,), (CompareResult,)>;
type PlanFunc<'a> = TypedFunc<(&'a [Finding],), (PlanResult,)>;

/// Checks once per instance that `compare` and `plan` have the types the calls below assume.
pub(super) fn check(store: impl AsContextMut, compare: Func, plan: Func) -> wasmtime::Result<()> {
    let store = store.as_context();
    compare.typed::<(&Comparison,), (CompareResult,)>(&store)?;
    plan.typed::<(&[Finding],), (PlanResult,)>(&store)?;
    Ok(())
}

/// Calls `compare`, lifting its result within the caps.
pub(super) fn compare(
    func: Func,
    store: impl AsContextMut,
    sides: &Comparison,
) -> wasmtime::Result<CompareResult> {
    // SAFETY: `check` type-checked this export against exactly these types when the instance
    // was made, and an instance's exports never change.
    let compare = unsafe { CompareFunc::new_unchecked(func) };
    Ok(budgeted(|| compare.call(store, (sides,)))?.0)
}

/// Calls `plan`, lifting its result within the caps.
pub(super) fn plan(
    func: Func,
    store: impl AsContextMut,
    findings: &[Finding],
) -> wasmtime::Result<PlanResult> {
    // SAFETY: as in `compare`.
    let plan = unsafe { PlanFunc::new_unchecked(func) };
    Ok(budgeted(|| plan.call(store, (findings,)))?.0)
}

/// A result refused while it was being lifted, before it was copied.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Oversized(String);

/// The limit of one text or list, and what the contract calls it.
pub trait Cap: Send + Sync + 'static {
    const MAX: usize;
    const WHAT: &'static str;
}

macro_rules! caps {
    ($($name:ident = $max:expr, $what:literal;)*) => {$(
        #[doc = concat!("The cap of ", $what, ".")]
        pub struct $name;
        impl Cap for $name {
            const MAX: usize = $max;
            const WHAT: &'static str = $what;
        }
    )*};
}

caps! {
    Detail = MAX_TEXT, "finding detail";
    FieldName = MAX_NAME, "drift field name";
    ValueText = MAX_VALUE_TEXT, "value text";
    Message = MAX_TEXT, "alert message";
    Reason = MAX_TEXT, "hold or ignore reason";
    ErrorText = MAX_TEXT, "rule error";
    Findings = MAX_FINDINGS, "findings";
    Actions = MAX_ACTIONS, "actions";
    ListItems = MAX_LIST, "list items";
}

/// A string no longer than `C::MAX` bytes.
pub struct Text<C>(pub String, PhantomData<C>);

/// A list of no more than `C::MAX` items.
pub struct List<T, C>(pub Vec<T>, PhantomData<C>);

fn text_len<C: Cap>(len: usize) -> wasmtime::Result<()> {
    if len > C::MAX {
        return Err(Oversized(format!("{} of {len} bytes, longer than {}", C::WHAT, C::MAX)).into());
    }
    charge(len)
}

fn list_len<T, C: Cap>(len: usize) -> wasmtime::Result<()> {
    if len > C::MAX {
        return Err(Oversized(format!("{len} {}, more than {}", C::WHAT, C::MAX)).into());
    }
    charge(len.saturating_mul(size_of::<T>()))
}

/// Takes `bytes` from the call's budget: texts and lists that all point at one guest buffer are
/// charged each time they are lifted.
fn charge(bytes: usize) -> wasmtime::Result<()> {
    BUDGET.with(|budget| match budget.get().checked_sub(bytes) {
        Some(left) => {
            budget.set(left);
            Ok(())
        }
        None => Err(Oversized(format!("result over {MAX_RESULT_BYTES} bytes in all")).into()),
    })
}

/// The declared length of a string or list: the second half of its pointer pair.
fn flat_len(src: &[ValRaw; 2]) -> usize {
    src[1].get_u32() as usize
}

fn memory_len(bytes: &[u8]) -> usize {
    let half: [u8; 4] = bytes[4..8].try_into().expect("a pointer pair is eight bytes");
    u32::from_le_bytes(half) as usize
}

// SAFETY: the same layout and type check as `String`, which every lift below delegates to.
unsafe impl<C: Cap> ComponentType for Text<C> {
    type Lower = <String as ComponentType>::Lower;
    const ABI: CanonicalAbiInfo = <String as ComponentType>::ABI;

    fn typecheck(ty: &InterfaceType, types: &InstanceType<'_>) -> wasmtime::Result<()> {
        <String as ComponentType>::typecheck(ty, types)
    }
}

// SAFETY: delegates to `String` after reading the length it would read.
unsafe impl<C: Cap> Lift for Text<C> {
    fn linear_lift_from_flat(
        cx: &mut LiftContext<'_>,
        ty: InterfaceType,
        src: &Self::Lower,
    ) -> wasmtime::Result<Self> {
        text_len::<C>(flat_len(src))?;
        Ok(Text(String::linear_lift_from_flat(cx, ty, src)?, PhantomData))
    }

    fn linear_lift_from_memory(
        cx: &mut LiftContext<'_>,
        ty: InterfaceType,
        bytes: &[u8],
    ) -> wasmtime::Result<Self> {
        text_len::<C>(memory_len(bytes))?;
        Ok(Text(String::linear_lift_from_memory(cx, ty, bytes)?, PhantomData))
    }
}

// SAFETY: the same layout and type check as `Vec<T>`, which every lift below delegates to.
unsafe impl<T: ComponentType, C: Cap> ComponentType for List<T, C> {
    type Lower = <Vec<T> as ComponentType>::Lower;
    const ABI: CanonicalAbiInfo = <Vec<T> as ComponentType>::ABI;

    fn typecheck(ty: &InterfaceType, types: &InstanceType<'_>) -> wasmtime::Result<()> {
        <Vec<T> as ComponentType>::typecheck(ty, types)
    }
}

// SAFETY: delegates to `Vec<T>` after reading the length it would read.
unsafe impl<T: Lift, C: Cap> Lift for List<T, C> {
    fn linear_lift_from_flat(
        cx: &mut LiftContext<'_>,
        ty: InterfaceType,
        src: &Self::Lower,
    ) -> wasmtime::Result<Self> {
        list_len::<T, C>(flat_len(src))?;
        Ok(List(Vec::linear_lift_from_flat(cx, ty, src)?, PhantomData))
    }

    fn linear_lift_from_memory(
        cx: &mut LiftContext<'_>,
        ty: InterfaceType,
        bytes: &[u8],
    ) -> wasmtime::Result<Self> {
        list_len::<T, C>(memory_len(bytes))?;
        Ok(List(Vec::linear_lift_from_memory(cx, ty, bytes)?, PhantomData))
    }
}

/// `compare`'s result as it leaves the sandbox.
pub type CompareResult = Result<List<GuestFinding, Findings>, GuestRuleError>;
/// `plan`'s result as it leaves the sandbox.
pub type PlanResult = Result<List<GuestAction, Actions>, GuestRuleError>;

#[derive(ComponentType, Lift)]
#[component(variant)]
pub enum GuestValue {
    #[component(name = "null")]
    Null,
    #[component(name = "boolean")]
    Boolean(bool),
    #[component(name = "integer")]
    Integer(i64),
    #[component(name = "decimal")]
    Decimal(f64),
    #[component(name = "text")]
    Text(Text<ValueText>),
    #[component(name = "text-list")]
    TextList(List<Text<ValueText>, ListItems>),
    #[component(name = "integer-list")]
    IntegerList(List<i64, ListItems>),
    #[component(name = "records")]
    Records(List<GuestItem, ListItems>),
    #[component(name = "elided")]
    Elided,
}

#[derive(ComponentType, Lift)]
#[component(record)]
pub struct GuestItem {
    id: i64,
    parts: List<Option<Text<ValueText>>, ListItems>,
}

#[derive(ComponentType, Lift)]
#[component(record)]
pub struct GuestDrift {
    field: Text<FieldName>,
    expected: GuestValue,
    actual: GuestValue,
}

#[derive(ComponentType, Lift)]
#[component(variant)]
pub enum GuestFindingKind {
    #[component(name = "missed-create")]
    MissedCreate,
    #[component(name = "missed-update")]
    MissedUpdate,
    #[component(name = "silent-change")]
    SilentChange(GuestDrift),
    #[component(name = "deletion-candidate")]
    DeletionCandidate,
    #[component(name = "missing-from-external")]
    MissingFromExternal,
    #[component(name = "external-drift")]
    ExternalDrift(GuestDrift),
    #[component(name = "unknown-to-partner")]
    UnknownToPartner,
}

#[derive(ComponentType, Lift)]
#[component(record)]
pub struct GuestFinding {
    kind: GuestFindingKind,
    severity: Severity,
    detail: Text<Detail>,
}

#[derive(ComponentType, Lift)]
#[component(record)]
pub struct GuestAlert {
    severity: Severity,
    message: Text<Message>,
}

#[derive(ComponentType, Lift)]
#[component(variant)]
pub enum GuestAction {
    #[component(name = "reprocess")]
    Reprocess,
    #[component(name = "mark-deleted")]
    MarkDeleted,
    #[component(name = "push-external")]
    PushExternal,
    #[component(name = "alert")]
    Alert(GuestAlert),
    #[component(name = "hold")]
    Hold(Text<Reason>),
    #[component(name = "ignore")]
    Ignore(Text<Reason>),
}

#[derive(ComponentType, Lift)]
#[component(variant)]
pub enum GuestRuleError {
    #[component(name = "invalid-record")]
    InvalidRecord(Text<ErrorText>),
    #[component(name = "invalid-setting")]
    InvalidSetting(Text<ErrorText>),
    #[component(name = "unsupported")]
    Unsupported(Text<ErrorText>),
}

impl From<GuestValue> for Value {
    fn from(value: GuestValue) -> Self {
        match value {
            GuestValue::Null => Value::Null,
            GuestValue::Boolean(b) => Value::Boolean(b),
            GuestValue::Integer(i) => Value::Integer(i),
            GuestValue::Decimal(d) => Value::Decimal(d),
            GuestValue::Text(t) => Value::Text(t.0),
            GuestValue::TextList(l) => Value::TextList(l.0.into_iter().map(|t| t.0).collect()),
            GuestValue::IntegerList(l) => Value::IntegerList(l.0),
            GuestValue::Records(l) => Value::Records(l.0.into_iter().map(Item::from).collect()),
            GuestValue::Elided => Value::Elided,
        }
    }
}

impl From<GuestItem> for Item {
    fn from(item: GuestItem) -> Self {
        let parts = item.parts.0.into_iter().map(|part| part.map(|text| text.0)).collect();
        Item { id: item.id, parts }
    }
}

impl From<GuestDrift> for FieldDrift {
    fn from(drift: GuestDrift) -> Self {
        FieldDrift {
            field: drift.field.0,
            expected: drift.expected.into(),
            actual: drift.actual.into(),
        }
    }
}

impl From<GuestFinding> for Finding {
    fn from(finding: GuestFinding) -> Self {
        let kind = match finding.kind {
            GuestFindingKind::MissedCreate => FindingKind::MissedCreate,
            GuestFindingKind::MissedUpdate => FindingKind::MissedUpdate,
            GuestFindingKind::SilentChange(drift) => FindingKind::SilentChange(drift.into()),
            GuestFindingKind::DeletionCandidate => FindingKind::DeletionCandidate,
            GuestFindingKind::MissingFromExternal => FindingKind::MissingFromExternal,
            GuestFindingKind::ExternalDrift(drift) => FindingKind::ExternalDrift(drift.into()),
            GuestFindingKind::UnknownToPartner => FindingKind::UnknownToPartner,
        };
        Finding { kind, severity: finding.severity, detail: finding.detail.0 }
    }
}

impl From<GuestAction> for Action {
    fn from(action: GuestAction) -> Self {
        match action {
            GuestAction::Reprocess => Action::Reprocess,
            GuestAction::MarkDeleted => Action::MarkDeleted,
            GuestAction::PushExternal => Action::PushExternal,
            GuestAction::Alert(alert) => {
                Action::Alert(Alert { severity: alert.severity, message: alert.message.0 })
            }
            GuestAction::Hold(why) => Action::Hold(why.0),
            GuestAction::Ignore(why) => Action::Ignore(why.0),
        }
    }
}

impl From<GuestRuleError> for RuleError {
    fn from(error: GuestRuleError) -> Self {
        match error {
            GuestRuleError::InvalidRecord(t) => RuleError::InvalidRecord(t.0),
            GuestRuleError::InvalidSetting(t) => RuleError::InvalidSetting(t.0),
            GuestRuleError::Unsupported(t) => RuleError::Unsupported(t.0),
        }
    }
}

/// Takes a lifted list apart into the contract's own types.
pub fn owned<G, T: From<G>, C>(
    result: Result<List<G, C>, GuestRuleError>,
) -> Result<Vec<T>, RuleError> {
    match result {
        Ok(list) => Ok(list.0.into_iter().map(T::from).collect()),
        Err(error) => Err(error.into()),
    }
}

#[cfg(test)]
mod tests {
    use wasmtime::component::{Component, Linker};
    use wasmtime::{Engine, Store};

    use super::*;

    /// A component whose `texts(count, len)` returns `count` strings that all point at the same
    /// `len` bytes: the shape of an amplification attack, which safe guest code cannot build.
    const SHARED_TEXTS: &str = r#"
        (component
          (core module $m
            (memory (export "memory") 4)
            (func (export "texts") (param $count i32) (param $len i32) (result i32)
              (local $i i32)
              (block $done
                (loop $each
                  (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
                  (i32.store (i32.add (i32.const 65536) (i32.shl (local.get $i) (i32.const 3)))
                             (i32.const 0))
                  (i32.store (i32.add (i32.const 65540) (i32.shl (local.get $i) (i32.const 3)))
                             (local.get $len))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br $each)))
              (i32.store (i32.const 200000) (i32.const 65536))
              (i32.store (i32.const 200004) (local.get $count))
              (i32.const 200000))
            (func (export "realloc") (param i32 i32 i32 i32) (result i32) unreachable))
          (core instance $i (instantiate $m))
          (func (export "texts") (param "count" u32) (param "len" u32) (result (list string))
            (canon lift (core func $i "texts") (memory (core memory $i "memory"))
                        (realloc (core func $i "realloc")))))
    "#;

    fn texts<C: Cap, L: Cap>(count: u32, len: u32) -> wasmtime::Result<Vec<String>> {
        let engine = Engine::default();
        let bytes = wat::parse_str(SHARED_TEXTS).expect("the fixture is valid text");
        let component = Component::new(&engine, bytes).expect("the fixture compiles");
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine).instantiate(&mut store, &component)?;
        let call =
            instance.get_typed_func::<(u32, u32), (List<Text<C>, L>,)>(&mut store, "texts")?;
        let (list,) = budgeted(|| call.call(&mut store, (count, len)))?;
        Ok(list.0.into_iter().map(|text| text.0).collect())
    }

    #[test]
    fn texts_within_their_caps_are_lifted() {
        let lifted = texts::<Detail, Findings>(3, 5).expect("three short texts");
        assert_eq!(lifted, vec!["\0\0\0\0\0"; 3]);
    }

    #[test]
    fn a_long_text_is_refused_from_its_length() {
        let error = texts::<Detail, Findings>(1, 2_000).expect_err("over 1,024 bytes");
        assert_eq!(error.to_string(), "finding detail of 2000 bytes, longer than 1024");
        assert!(error.downcast_ref::<Oversized>().is_some());
    }

    #[test]
    fn a_long_list_is_refused_from_its_length() {
        let error = texts::<Detail, Findings>(10_000, 1).expect_err("over 64 findings");
        assert_eq!(error.to_string(), "10000 findings, more than 64");
    }

    #[test]
    fn texts_sharing_one_buffer_are_charged_each_time() {
        // Each text is within its own cap; together they would be 640 MiB of host memory.
        let error = texts::<ValueText, ListItems>(10_000, 65_536).expect_err("over the budget");
        assert_eq!(error.to_string(), "result over 4194304 bytes in all");
    }

    #[test]
    fn each_call_starts_with_a_full_budget() {
        for _ in 0..3 {
            let lifted = texts::<ValueText, ListItems>(60, 65_536).expect("3.75 MiB fits");
            assert_eq!(lifted.len(), 60);
        }
    }
}
