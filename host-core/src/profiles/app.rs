//! Application functions as imports: each [`AppFunctions`] module becomes an
//! import module of the linker. Bytes functions use contract v1's conventions
//! (request buffer in, packed `(ptr, len)` from `caplet_alloc` or `-code` out);
//! numbers functions take and return plain values. The checks are the
//! service's ([`Services::app_bytes`](crate::services::Services)).

use alloc::sync::Arc;

use wasmi::{Caller, FuncType, Linker, Val, ValType as WasmType};

use super::bytes_at;
use super::caplet::with_result;
use crate::error::{Code, Error};
use crate::inspect::ValType;
use crate::runtime::Value;
use crate::services::app::{AppFunction, AppFunctions, Body, MAX_NUMBERS};
use crate::state::{fatal, HostState};

fn wasm_type(t: ValType) -> WasmType {
    match t {
        ValType::I32 => WasmType::I32,
        ValType::I64 => WasmType::I64,
        ValType::F32 => WasmType::F32,
        // `Other` is refused at registration.
        ValType::F64 | ValType::Other => WasmType::F64,
    }
}

fn failed(module: &str, function: &AppFunction, code: Code) -> wasmi::Error {
    fatal(match code {
        Code::PermissionDenied => Error::CapabilityDenied {
            capability: function.capability(),
            needed_by: ["call of `", module, ".", &function.name, "`"].concat(),
        },
        code => Error::Host {
            reason: msg!(
                "application function `{module}.{}` failed with {}",
                function.name,
                code.name()
            ),
        },
    })
}

/// Defines every function of `set` in the linker.
pub(crate) fn define(
    l: &mut Linker<HostState>,
    set: &AppFunctions,
) -> Result<(), wasmi::errors::LinkerError> {
    for entry in set.functions() {
        let function = Arc::new(entry.clone());
        let module: Arc<str> = Arc::from(set.module());
        match &entry.body {
            Body::Bytes(_) => {
                l.func_wrap(
                    set.module(),
                    entry.name(),
                    move |mut c: Caller<'_, HostState>, ptr: i32, len: i32| {
                        let f = &function;
                        with_result(&mut c, "an application function", |mem, s| {
                            let input = bytes_at(mem, ptr, len, s.limits.max_host_result_bytes)?;
                            s.app_bytes(f, input)
                        })
                    },
                )?;
            }
            Body::Numbers {
                params, results, ..
            } => {
                let ty = FuncType::new(
                    params.iter().map(|t| wasm_type(*t)),
                    results.iter().map(|t| wasm_type(*t)),
                );
                l.func_new(
                    set.module(),
                    entry.name(),
                    ty,
                    move |mut c: Caller<'_, HostState>, args: &[Val], out: &mut [Val]| {
                        if c.data_mut().enter().is_err() {
                            return Err(failed(&module, &function, Code::Limit));
                        }
                        let mut values = [Value::I32(0); MAX_NUMBERS];
                        for (v, a) in values.iter_mut().zip(args) {
                            *v = Value::from_val(a)
                                .ok_or_else(|| failed(&module, &function, Code::InvalidInput))?;
                        }
                        let mut results = [Value::I32(0); MAX_NUMBERS];
                        let n = out.len();
                        c.data()
                            .services
                            .app_numbers(&function, &values[..args.len()], &mut results[..n])
                            .map_err(|code| failed(&module, &function, code))?;
                        for (o, r) in out.iter_mut().zip(results) {
                            *o = r.to_val();
                        }
                        Ok(())
                    },
                )?;
            }
        }
    }
    Ok(())
}
