//! Turning the machine's final value into a [`PickleValue`] in one pass over the objects it
//! refers to: each object, tuple and buffer becomes one shared value however often the
//! pickle refers to it, so the result costs what the file held, not what it would unfold to.
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use super::vm::{Budget, Heap, Obj, Tuple, Value};
use super::{MAX_DEPTH, PickleValue, numpy};
use crate::io::array::Array;

/// Converts `top`, consuming the heap of objects it refers to.
pub(super) fn to_pickle_value(heap: Heap, top: Value) -> Result<PickleValue, String> {
    let Heap { objects, budget } = heap;
    let mut c = Converter {
        slots: objects.into_iter().map(Slot::Pending).collect(),
        tuples: HashMap::new(),
        budget,
    };
    Ok(c.value(&top, 0)?.0)
}

enum Slot {
    Pending(Obj),
    InProgress,
    /// Converted, with the height of its nesting.
    Done(PickleValue, usize),
}

struct Converter {
    slots: Vec<Slot>,
    /// Converted tuples by address, with their heights; holding the `Rc` keeps the address
    /// from being reused by another tuple while the map lives.
    tuples: HashMap<*const Tuple, (Rc<Tuple>, PickleValue, usize)>,
    budget: Budget,
}

impl Converter {
    /// The value and the height of its nesting (0 for a leaf). `depth` is how deep the
    /// value sits: a shared value may be reached again deeper down, so the limit is checked
    /// against depth plus height, not only on the way down.
    fn value(&mut self, v: &Value, depth: usize) -> Result<(PickleValue, usize), String> {
        let nested_too_deep = || format!("values nested deeper than {MAX_DEPTH} levels");
        if depth > MAX_DEPTH {
            return Err(nested_too_deep());
        }
        let (value, height) = match v {
            Value::None => (PickleValue::None, 0),
            Value::Bool(b) => (PickleValue::Bool(*b), 0),
            Value::Int(i) => (PickleValue::Int(*i), 0),
            Value::Float(f) => (PickleValue::Float(*f), 0),
            Value::Str(s) => (PickleValue::Str(s.clone()), 0),
            Value::Bytes(b) => (PickleValue::Bytes(b.clone()), 0),
            Value::Typed(t) => {
                self.budget.copy(
                    t.len() * t.kind().size(),
                    "array data used as a byte string",
                )?;
                (PickleValue::Bytes(Arc::new(t.to_le_bytes())), 0)
            }
            Value::Tuple(t) => self.tuple(t, depth)?,
            Value::Global(g) => {
                return Err(format!(
                    "the pickle's result holds the Python callable {}, not a value",
                    g.name()
                ));
            }
            Value::Obj(i) => self.object(*i, depth)?,
        };
        if depth + height > MAX_DEPTH {
            return Err(nested_too_deep());
        }
        Ok((value, height))
    }

    /// Converts `items`, returning them and the height of the tallest.
    fn values(
        &mut self,
        items: &[Value],
        depth: usize,
    ) -> Result<(Vec<PickleValue>, usize), String> {
        let mut height = 0;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let (v, h) = self.value(item, depth + 1)?;
            height = height.max(h + 1);
            out.push(v);
        }
        Ok((out, height))
    }

    fn tuple(&mut self, t: &Rc<Tuple>, depth: usize) -> Result<(PickleValue, usize), String> {
        if let Some((_, v, h)) = self.tuples.get(&Rc::as_ptr(t)) {
            return Ok((v.clone(), *h));
        }
        let (items, height) = self.values(&t.items, depth)?;
        let v = PickleValue::Tuple(Arc::new(items));
        self.tuples
            .insert(Rc::as_ptr(t), (t.clone(), v.clone(), height.max(1)));
        Ok((v, height.max(1)))
    }

    fn object(&mut self, i: usize, depth: usize) -> Result<(PickleValue, usize), String> {
        let obj = match std::mem::replace(&mut self.slots[i], Slot::InProgress) {
            Slot::Pending(obj) => obj,
            Slot::Done(v, h) => {
                let out = (v.clone(), h);
                self.slots[i] = Slot::Done(v, h);
                return Ok(out);
            }
            Slot::InProgress => {
                return Err("a list or dict that contains itself is not supported".into());
            }
        };
        let (v, height) = match obj {
            Obj::List(items) => {
                let (items, h) = self.values(&items, depth)?;
                (PickleValue::List(Arc::new(items)), h.max(1))
            }
            Obj::Dict(entries) => {
                let mut out = Vec::with_capacity(entries.len());
                let mut height = 1;
                for (k, v) in &entries {
                    let (k, hk) = self.value(k, depth + 1)?;
                    let (v, hv) = self.value(v, depth + 1)?;
                    height = height.max(hk.max(hv) + 1);
                    out.push((k, v));
                }
                (PickleValue::Dict(Arc::new(out)), height)
            }
            Obj::NdArray(Some(array)) => {
                let (shape, data) = numpy::into_array_data(array, &mut self.budget)?;
                (PickleValue::Array(Arc::new(Array { shape, data })), 0)
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
        self.slots[i] = Slot::Done(v.clone(), height);
        Ok((v, height))
    }
}
