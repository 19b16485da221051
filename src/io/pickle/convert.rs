//! Turning the machine's final value into a [`PickleValue`], moving large data rather than
//! copying it.
use std::rc::Rc;

use super::PickleValue;
use super::numpy;
use super::vm::{MAX_DEPTH, Obj, Value};
use crate::io::array::Array;

/// Converts `top`, consuming the arena of objects it refers to.
pub(super) fn to_pickle_value(objects: Vec<Obj>, top: Value) -> Result<PickleValue, String> {
    let mut refs = vec![0u32; objects.len()];
    count_refs(&objects, &top, &mut refs, 0)?;
    let slots = objects.into_iter().map(Slot::Pending).collect();
    Converter { slots, refs }.value(top, 0)
}

/// Counts references to each arena object reachable from `v`, descending into each object
/// once, so that cycles end and shared objects are known before conversion moves data.
fn count_refs(objects: &[Obj], v: &Value, refs: &mut [u32], depth: usize) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!("values nested deeper than {MAX_DEPTH} levels"));
    }
    match v {
        Value::Tuple(t) => {
            for item in &t.items {
                count_refs(objects, item, refs, depth + 1)?;
            }
        }
        Value::Obj(i) => {
            refs[*i] += 1;
            if refs[*i] == 1 {
                match &objects[*i] {
                    Obj::List(items) => {
                        for item in items {
                            count_refs(objects, item, refs, depth + 1)?;
                        }
                    }
                    Obj::Dict(entries) => {
                        for (k, v) in entries {
                            count_refs(objects, k, refs, depth + 1)?;
                            count_refs(objects, v, refs, depth + 1)?;
                        }
                    }
                    Obj::Dtype(_) | Obj::NdArray(_) => {}
                }
            }
        }
        _ => {}
    }
    Ok(())
}

enum Slot {
    Pending(Obj),
    InProgress,
    /// Converted, kept because the object is referenced again.
    Done(PickleValue),
    /// Converted and moved out: referenced only once.
    Moved,
}

struct Converter {
    slots: Vec<Slot>,
    refs: Vec<u32>,
}

impl Converter {
    fn value(&mut self, v: Value, depth: usize) -> Result<PickleValue, String> {
        if depth > MAX_DEPTH {
            return Err(format!("values nested deeper than {MAX_DEPTH} levels"));
        }
        Ok(match v {
            Value::None => PickleValue::None,
            Value::Bool(b) => PickleValue::Bool(b),
            Value::Int(i) => PickleValue::Int(i),
            Value::Float(f) => PickleValue::Float(f),
            Value::Str(s) => PickleValue::Str(s.to_string()),
            Value::Bytes(b) => PickleValue::Bytes(Rc::unwrap_or_clone(b)),
            Value::Typed(t) => PickleValue::Bytes(t.to_le_bytes()),
            Value::Tuple(t) => {
                let items = Rc::try_unwrap(t)
                    .map(|t| t.items)
                    .unwrap_or_else(|t| t.items.clone());
                PickleValue::Tuple(self.values(items, depth)?)
            }
            Value::Global(g) => {
                return Err(format!(
                    "the pickle's result holds the Python callable {}, not a value",
                    g.name()
                ));
            }
            Value::Obj(i) => self.object(i, depth)?,
        })
    }

    fn values(&mut self, items: Vec<Value>, depth: usize) -> Result<Vec<PickleValue>, String> {
        items
            .into_iter()
            .map(|v| self.value(v, depth + 1))
            .collect()
    }

    fn object(&mut self, i: usize, depth: usize) -> Result<PickleValue, String> {
        let obj = match std::mem::replace(&mut self.slots[i], Slot::InProgress) {
            Slot::Pending(obj) => obj,
            Slot::Done(v) => {
                self.slots[i] = Slot::Done(v.clone());
                return Ok(v);
            }
            Slot::InProgress => {
                return Err("a list or dict that contains itself is not supported".into());
            }
            Slot::Moved => unreachable!("objects referenced once are visited once"),
        };
        let v = match obj {
            Obj::List(items) => PickleValue::List(self.values(items, depth)?),
            Obj::Dict(entries) => {
                let mut out = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    out.push((self.value(k, depth + 1)?, self.value(v, depth + 1)?));
                }
                PickleValue::Dict(out)
            }
            Obj::NdArray(Some(array)) => {
                let (shape, data) = numpy::into_array_data(array);
                PickleValue::Array(Array { shape, data })
            }
            Obj::NdArray(None) => {
                return Err("a numpy array was made but never filled in by BUILD".into());
            }
            Obj::Dtype(_) => {
                return Err(
                    "a numpy dtype on its own (not inside an array) is not supported".into(),
                );
            }
        };
        self.slots[i] = if self.refs[i] > 1 {
            Slot::Done(v.clone())
        } else {
            Slot::Moved
        };
        Ok(v)
    }
}
