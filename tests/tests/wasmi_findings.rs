//! The wasmi defects found by the differential check (docs/wasmi-differential.md),
//! each with the reproducer the check produced, as Caplet runs it now:
//!
//! 1. a `select` on `i32.eqz`/`i32.ne 0` of a local computed the wrong operand
//!    (fixed in the vendored wasmi, `vendor/README.md`);
//! 2. operators after a function's final `end` panicked the translator, which
//!    aborts the host (refused by the vendored wasmi before it translates them);
//! 3. the same class, a debug assertion only: refused by the same fix;
//! 4. a debug assertion on a valid module (fixed in the vendored wasmi, so test
//!    builds run it): it runs right.

use caplet_core::{Error, Value};

fn instance(name: &str) -> caplet_core::Instance {
    caplet_tests::load(&caplet_tests::wat(name), &[])
        .unwrap_or_else(|e| panic!("{name} loads: {e}"))
        .instantiate()
        .unwrap()
}

#[test]
fn select_on_a_negated_local_picks_the_right_operand() {
    let mut i = instance("wasmi_select_eqz_miscompile");
    // Every combination of operands and conditions, several times over, so a stale
    // register cannot make a wrong translation pass by chance.
    let conds = [0, 1, -1, 127, i32::MIN, i32::MAX];
    let vals = [(1, -1), (i32::MAX, i32::MIN), (0, 1), (5, 7)];
    for _ in 0..3 {
        for &c in &conds {
            for &(a, b) in &vals {
                let args = [Value::I32(a), Value::I32(b), Value::I32(c)];
                let eqz = if c == 0 { a } else { b };
                let ne0 = if c != 0 { a } else { b };
                assert_eq!(
                    i.call_typed("select_eqz", &args).unwrap(),
                    [Value::I32(eqz)],
                    "eqz {args:?}"
                );
                assert_eq!(
                    i.call_typed("select_ne0", &args).unwrap(),
                    [Value::I32(ne0)],
                    "ne0 {args:?}"
                );
                let fargs = [
                    Value::F64(f64::from(a)),
                    Value::F64(f64::from(b)),
                    Value::I32(c),
                ];
                assert_eq!(
                    i.call_typed("select_eqz_f64", &fargs).unwrap(),
                    [Value::F64(f64::from(eqz))],
                    "eqz f64 {args:?}"
                );
            }
        }
    }
    assert_eq!(
        i.call_typed("consts", &[]).unwrap(),
        [Value::I32(7), Value::I32(1), Value::I32(7), Value::I32(7)]
    );
}

#[test]
fn operators_after_a_functions_final_end_are_refused_not_translated() {
    for name in [
        "wasmi_loop_after_end_panic",
        "wasmi_nop_after_end_debug_assert",
    ] {
        let err = caplet_tests::load(&caplet_tests::wat(name), &[]).unwrap_err();
        match &err {
            Error::BadModule { reason } => {
                assert!(
                    reason.contains("operators remaining after end of function"),
                    "{name}: {reason}"
                )
            }
            e => panic!("{name}: expected a bad module, got {e}"),
        }
    }
}

#[test]
fn an_if_parameter_in_a_register_with_local_tee_runs_right() {
    // The module of wasmi's "a register operand already exists" debug assertion:
    // `f(c, x)` is `x + 1` on both branches.
    let with_memory = {
        // The fixture has no memory; Caplet requires one: add it in text form.
        let text =
            std::fs::read_to_string(caplet_tests::wat_path("wasmi_else_register_debug_assert"))
                .unwrap();
        let text = text.replacen("(module", "(module (memory (export \"memory\") 1)", 1);
        caplet_tests::wat_str(&text)
    };
    let mut i = caplet_tests::load(&with_memory, &[])
        .unwrap()
        .instantiate()
        .unwrap();
    for (c, x) in [(0, 5i64), (1, 5), (-1, -1), (7, i64::MAX - 1)] {
        assert_eq!(
            i.call_typed("f", &[Value::I32(c), Value::I64(x)]).unwrap(),
            [Value::I64(x + 1)],
            "f({c}, {x})"
        );
    }
}
