//! The pickle machine: a stack, marks and a memo, driven one opcode at a time.
//!
//! Lists, dicts, arrays and dtypes live in one flat arena and are referred to by index.
//! Pickle mutates them after they are memoized (APPEND, BUILD), and the memo must see
//! those changes; an arena gives that sharing without reference cycles, and keeps values
//! shallow so that dropping them can never recurse deeply.
//!
//! Every value made and every byte read or derived is charged to one [`Budget`], so the
//! limits in `super` hold whatever the opcodes do.
use std::collections::HashMap;
use std::io::{self, ErrorKind, Read};
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;

use super::convert;
use super::numpy::{self, Dtype, Global};
use super::opcodes as op;
use super::{
    COPY_ALLOWANCE_BYTES, MAX_DATA_BYTES, MAX_DEPTH, MAX_MARKS, MAX_OPCODES, MAX_VALUES,
    PickleValue,
};
use crate::io::array::{ArrayData, ElemKind};
use crate::io::read::{Endian, read_bytes, read_bytes_limited, read_elems, stream_error};
use crate::{Error, Result};

/// Payloads at least this long are candidates for reading straight into their element type.
const TYPED_MIN: u64 = 1 << 16;

/// A value on the stack or in the memo. Clones are cheap: data sits behind `Arc`, shared
/// with the [`PickleValue`] that conversion makes, so nothing is copied on the way out.
#[derive(Clone)]
pub(super) enum Value {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Arc<str>),
    /// Python 2 `str`, Python 3 `bytes` and `bytearray`.
    Bytes(Arc<Vec<u8>>),
    /// A byte payload already decoded to the element type of the array it belongs to.
    Typed(Arc<ArrayData>),
    Tuple(Rc<Tuple>),
    /// Index into the machine's arena.
    Obj(usize),
    Global(Global),
}

pub(super) struct Tuple {
    pub(super) items: Vec<Value>,
    /// Nesting depth through tuples alone (arena objects count as flat).
    depth: usize,
}

/// What the pickle has cost so far, against the limits in `super`.
#[derive(Default)]
pub(super) struct Budget {
    values: usize,
    opcodes: u64,
    /// Payload bytes read from the stream.
    data_bytes: u64,
    /// Bytes made from data already held (encodings, copies).
    copied_bytes: u64,
}

impl Budget {
    fn value(&mut self) -> std::result::Result<(), String> {
        self.values += 1;
        if self.values > MAX_VALUES {
            return Err(format!(
                "the pickle makes more than {MAX_VALUES} values (the limit for one pickle, \
                 over all its lists, dicts, tuples and memo together)"
            ));
        }
        Ok(())
    }

    fn opcode(&mut self) -> std::result::Result<(), String> {
        self.opcodes += 1;
        if self.opcodes > MAX_OPCODES {
            return Err(format!(
                "the pickle runs more than {MAX_OPCODES} opcodes (the limit for one pickle)"
            ));
        }
        Ok(())
    }

    /// Payload bytes the stream may still deliver.
    fn data_left(&self) -> u64 {
        MAX_DATA_BYTES - self.data_bytes
    }

    fn data(&mut self, n: u64) {
        debug_assert!(
            n <= self.data_left(),
            "payload reads are limited to what is left"
        );
        self.data_bytes += n;
    }

    /// Charges `n` bytes made from data already held. Data that is only shared costs
    /// nothing; this is for the few operations that must copy.
    pub(super) fn copy(&mut self, n: usize, what: &str) -> std::result::Result<(), String> {
        let limit = self.data_bytes + COPY_ALLOWANCE_BYTES;
        self.copied_bytes += n as u64;
        if self.copied_bytes > limit {
            return Err(format!(
                "{what} would copy more data than the pickle holds: copies may total the \
                 {} bytes read plus {COPY_ALLOWANCE_BYTES} (a small file referring to one large \
                 string many times?)",
                self.data_bytes
            ));
        }
        Ok(())
    }
}

/// Something pickle can change after making it.
pub(super) enum Obj {
    List(Vec<Value>),
    Dict(Vec<(Value, Value)>),
    Dtype(Dtype),
    /// Made empty by `_reconstruct`, filled by BUILD.
    NdArray(Option<NdArray>),
}

/// A checked array whose data may still be raw bytes.
pub(super) struct NdArray {
    pub(super) shape: Vec<usize>,
    pub(super) kind: ElemKind,
    /// `Value::Bytes` or `Value::Typed`, length already checked against shape and kind.
    pub(super) data: Value,
}

impl Value {
    /// The text of a `str`, or of a Python 2 byte string that is valid UTF-8.
    pub(super) fn text(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            Value::Bytes(b) => std::str::from_utf8(b).ok(),
            _ => None,
        }
    }

    fn kind_name(&self) -> &'static str {
        match self {
            Value::None => "None",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::Bytes(_) | Value::Typed(_) => "bytes",
            Value::Tuple(_) => "tuple",
            Value::Obj(_) => "object",
            Value::Global(_) => "global",
        }
    }
}

/// Why one opcode failed.
enum Fault {
    Msg(String),
    Unsupported,
    Io(io::Error),
}

impl From<String> for Fault {
    fn from(m: String) -> Fault {
        Fault::Msg(m)
    }
}

impl From<&str> for Fault {
    fn from(m: &str) -> Fault {
        Fault::Msg(m.to_string())
    }
}

impl From<io::Error> for Fault {
    fn from(e: io::Error) -> Fault {
        Fault::Io(e)
    }
}

type Step<T> = std::result::Result<T, Fault>;

/// The input stream, counting bytes so that errors can give offsets.
struct Input<R> {
    r: R,
    pos: u64,
}

impl<R: Read> Read for Input<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.r.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Read> Input<R> {
    fn array<const N: usize>(&mut self) -> io::Result<[u8; N]> {
        let mut b = [0u8; N];
        self.read_exact(&mut b)?;
        Ok(b)
    }

    fn u8(&mut self) -> io::Result<u8> {
        Ok(self.array::<1>()?[0])
    }

    fn u32(&mut self) -> io::Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn u64(&mut self) -> io::Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// A `\n`-terminated line of the text opcodes (GLOBAL, PUT, GET), without the `\n`.
    fn line(&mut self) -> Step<String> {
        const MAX_LINE: usize = 1024;
        let mut line = Vec::new();
        loop {
            match self.u8()? {
                b'\n' => break,
                b if line.len() < MAX_LINE => line.push(b),
                _ => return Err(format!("text argument longer than {MAX_LINE} bytes").into()),
            }
        }
        String::from_utf8(line).map_err(|_| "text argument is not UTF-8".into())
    }
}

pub(super) struct Machine<R> {
    input: Input<R>,
    stack: Vec<Value>,
    /// Stack lengths at each MARK.
    marks: Vec<usize>,
    memo: HashMap<u32, Value>,
    heap: Heap,
}

/// What the machine has made: the objects pickle may change after making them, referred
/// to by index from `Value::Obj`, and the budget everything is charged to.
#[derive(Default)]
pub(super) struct Heap {
    pub(super) objects: Vec<Obj>,
    pub(super) budget: Budget,
}

impl Heap {
    /// Stores `obj`; the caller pushes the returned value, which charges it.
    pub(super) fn add(&mut self, obj: Obj) -> Value {
        self.objects.push(obj);
        Value::Obj(self.objects.len() - 1)
    }

    pub(super) fn get(&self, i: usize) -> &Obj {
        &self.objects[i]
    }

    pub(super) fn get_mut(&mut self, i: usize) -> &mut Obj {
        &mut self.objects[i]
    }
}

/// Runs a pickle to its STOP opcode and returns the value it built.
pub(super) fn run<R: Read>(reader: R, path: &Path) -> Result<PickleValue> {
    let mut m = Machine {
        input: Input { r: reader, pos: 0 },
        stack: Vec::new(),
        marks: Vec::new(),
        memo: HashMap::new(),
        heap: Heap::default(),
    };
    loop {
        let offset = m.input.pos;
        let code = match m.input.u8() {
            Ok(c) => c,
            Err(e) if e.kind() == ErrorKind::UnexpectedEof => {
                return Err(Error::format(
                    path,
                    format!(
                        "file is truncated: the pickle ends at offset {offset} without its STOP opcode"
                    ),
                ));
            }
            Err(e) => {
                return Err(stream_error(
                    path,
                    &format!("the pickle opcode at offset {offset}"),
                    e,
                ));
            }
        };
        let name = op::name(code);
        match m
            .heap
            .budget
            .opcode()
            .map_err(Fault::from)
            .and_then(|()| m.step(code))
        {
            Ok(true) => break,
            Ok(false) => {}
            Err(Fault::Unsupported) => {
                return Err(Error::format(
                    path,
                    format!("unsupported pickle opcode 0x{code:02x} ({name}) at offset {offset}"),
                ));
            }
            Err(Fault::Msg(msg)) => {
                return Err(Error::format(
                    path,
                    format!("{msg} (pickle opcode {name} at offset {offset})"),
                ));
            }
            Err(Fault::Io(e)) => {
                return Err(stream_error(
                    path,
                    &format!("pickle opcode {name} at offset {offset}"),
                    e,
                ));
            }
        }
    }
    let top = m
        .pop()
        .map_err(|_| Error::format(path, "the pickle's STOP opcode found an empty stack"))?;
    // Dropping the stack and memo first leaves each large buffer a single owner, so it moves
    // into the result instead of being copied.
    let Machine {
        heap, stack, memo, ..
    } = m;
    drop((stack, memo));
    convert::to_pickle_value(heap, top).map_err(|msg| Error::format(path, msg))
}

impl<R: Read> Machine<R> {
    /// Executes one opcode; returns whether it was STOP.
    fn step(&mut self, code: u8) -> Step<bool> {
        match code {
            op::PROTO => {
                let version = self.input.u8()?;
                if version > 5 {
                    return Err(format!(
                        "pickle protocol {version} is newer than the 2 to 5 this reader knows"
                    )
                    .into());
                }
            }
            // Frames only help a reader buffer; the stream reads the same without them.
            op::FRAME => {
                self.input.u64()?;
            }
            op::STOP => return Ok(true),
            op::MARK => {
                if self.marks.len() >= MAX_MARKS {
                    return Err(format!(
                        "more than {MAX_MARKS} MARKs open at once (the limit for one pickle)"
                    )
                    .into());
                }
                self.marks.push(self.stack.len());
            }
            op::POP => {
                if self.stack.len() > self.fence() {
                    self.stack.pop();
                } else if self.marks.pop().is_none() {
                    return Err("stack underflow".into());
                }
            }
            op::POP_MARK => {
                self.pop_mark()?;
            }
            op::DUP => {
                let top = self.top()?.clone();
                self.push(top)?;
            }

            op::NONE => self.push(Value::None)?,
            op::NEWTRUE => self.push(Value::Bool(true))?,
            op::NEWFALSE => self.push(Value::Bool(false))?,
            op::BININT => {
                let v = i32::from_le_bytes(self.input.array()?);
                self.push(Value::Int(v.into()))?;
            }
            op::BININT1 => {
                let v = self.input.u8()?;
                self.push(Value::Int(v.into()))?;
            }
            op::BININT2 => {
                let v = u16::from_le_bytes(self.input.array()?);
                self.push(Value::Int(v.into()))?;
            }
            op::LONG1 => {
                let n = self.input.u8()?;
                let v = self.long(n.into())?;
                self.push(v)?;
            }
            op::LONG4 => {
                let n = self.input.u32()?;
                let v = self.long(n.into())?;
                self.push(v)?;
            }
            op::BINFLOAT => {
                let v = f64::from_be_bytes(self.input.array()?);
                self.push(Value::Float(v))?;
            }

            op::SHORT_BINSTRING | op::SHORT_BINBYTES => {
                let n = self.input.u8()?;
                let v = self.payload(n.into())?;
                self.push(v)?;
            }
            op::BINSTRING => {
                let n = i32::from_le_bytes(self.input.array()?);
                let n = u64::try_from(n).map_err(|_| format!("negative string length {n}"))?;
                let v = self.payload(n)?;
                self.push(v)?;
            }
            op::BINBYTES => {
                let n = self.input.u32()?;
                let v = self.payload(n.into())?;
                self.push(v)?;
            }
            op::BINBYTES8 | op::BYTEARRAY8 => {
                let n = self.input.u64()?;
                let v = self.payload(n)?;
                self.push(v)?;
            }
            op::SHORT_BINUNICODE => {
                let n = self.input.u8()?;
                let v = self.unicode(n.into())?;
                self.push(v)?;
            }
            op::BINUNICODE => {
                let n = self.input.u32()?;
                let v = self.unicode(n.into())?;
                self.push(v)?;
            }
            op::BINUNICODE8 => {
                let n = self.input.u64()?;
                let v = self.unicode(n)?;
                self.push(v)?;
            }

            op::EMPTY_TUPLE => self.push_tuple(Vec::new())?,
            op::TUPLE => {
                let items = self.pop_mark()?;
                self.push_tuple(items)?;
            }
            op::TUPLE1 | op::TUPLE2 | op::TUPLE3 => {
                let n = usize::from(code - op::TUPLE1 + 1);
                let items = self.pop_n(n)?;
                self.push_tuple(items)?;
            }
            op::EMPTY_LIST => {
                let v = self.heap.add(Obj::List(Vec::new()));
                self.push(v)?;
            }
            op::LIST => {
                let items = self.pop_mark()?;
                let v = self.heap.add(Obj::List(items));
                self.push(v)?;
            }
            op::APPEND => {
                let item = self.pop()?;
                self.extend_list(vec![item])?;
            }
            op::APPENDS => {
                let items = self.pop_mark()?;
                self.extend_list(items)?;
            }
            op::EMPTY_DICT => {
                let v = self.heap.add(Obj::Dict(Vec::new()));
                self.push(v)?;
            }
            op::DICT => {
                let items = self.pop_mark()?;
                let pairs = pairs(items)?;
                let v = self.heap.add(Obj::Dict(pairs));
                self.push(v)?;
            }
            op::SETITEM => {
                let value = self.pop()?;
                let key = self.pop()?;
                self.extend_dict(vec![(key, value)])?;
            }
            op::SETITEMS => {
                let items = self.pop_mark()?;
                self.extend_dict(pairs(items)?)?;
            }

            op::PUT => {
                let i = parse_index(&self.input.line()?)?;
                self.put(i)?;
            }
            op::BINPUT => {
                let i = self.input.u8()?;
                self.put(i.into())?;
            }
            op::LONG_BINPUT => {
                let i = self.input.u32()?;
                self.put(i)?;
            }
            op::MEMOIZE => {
                let i = u32::try_from(self.memo.len()).map_err(|_| "memo is full")?;
                self.put(i)?;
            }
            op::GET => {
                let i = parse_index(&self.input.line()?)?;
                self.get(i)?;
            }
            op::BINGET => {
                let i = self.input.u8()?;
                self.get(i.into())?;
            }
            op::LONG_BINGET => {
                let i = self.input.u32()?;
                self.get(i)?;
            }

            op::GLOBAL => {
                let module = self.input.line()?;
                let name = self.input.line()?;
                self.push_global(&module, &name)?;
            }
            op::STACK_GLOBAL => {
                let name = self.pop()?;
                let module = self.pop()?;
                match (module.text(), name.text()) {
                    (Some(module), Some(name)) => self.push_global(module, name)?,
                    _ => return Err("STACK_GLOBAL needs two strings".into()),
                }
            }
            op::REDUCE => {
                let args = self.pop()?;
                let callable = self.pop()?;
                let Value::Tuple(args) = args else {
                    return Err(format!(
                        "REDUCE arguments are a {}, not a tuple",
                        args.kind_name()
                    )
                    .into());
                };
                let Value::Global(global) = callable else {
                    return Err(
                        format!("REDUCE on a {}, not a callable", callable.kind_name()).into(),
                    );
                };
                let v = numpy::call(&mut self.heap, global, &args.items)?;
                self.push(v)?;
            }
            op::BUILD => {
                let state = self.pop()?;
                match *self.top()? {
                    Value::Obj(target) => numpy::build(&mut self.heap, target, &state)?,
                    ref other => return Err(format!("BUILD on a {}", other.kind_name()).into()),
                }
            }
            _ => return Err(Fault::Unsupported),
        }
        Ok(false)
    }

    /// Reads a byte payload. When it is the data of an array whose dtype is already known,
    /// it is decoded into that element type as it streams in, so a large array never exists
    /// twice in memory.
    fn payload(&mut self, len: u64) -> Step<Value> {
        if len >= TYPED_MIN
            && len <= self.heap.budget.data_left()
            && let Some(kind) = self.pending_array_kind()
            && len.is_multiple_of(kind.size() as u64)
        {
            let count = len / kind.size() as u64;
            let data = read_typed(&mut self.input, kind, count)?;
            self.heap.budget.data(len);
            return Ok(Value::Typed(Arc::new(data)));
        }
        Ok(Value::Bytes(Arc::new(self.bytes(len)?)))
    }

    /// Reads `len` payload bytes, charged to the data budget.
    fn bytes(&mut self, len: u64) -> Step<Vec<u8>> {
        let left = self.heap.budget.data_left();
        let Some(bytes) = read_bytes_limited(&mut self.input, len, left)? else {
            return Err(format!(
                "a string of {len} bytes passes the limit of {MAX_DATA_BYTES} bytes of \
                 strings and array data in one pickle ({left} were left)"
            )
            .into());
        };
        self.heap.budget.data(len);
        Ok(bytes)
    }

    /// The element type of the array whose data comes next, if the stack shows one.
    ///
    /// numpy's array state is `(version, shape, dtype, is_fortran, data)`, so while the data is
    /// being read, a little-endian dtype and a `False` Fortran flag sit on top of the stack.
    /// u8 is left out: its bytes are already its elements.
    fn pending_array_kind(&self) -> Option<ElemKind> {
        let [.., Value::Obj(d), Value::Bool(false)] = self.stack[..] else {
            return None;
        };
        match self.heap.get(d) {
            Obj::Dtype(dtype) if dtype.is_little_endian() && dtype.kind != ElemKind::U8 => {
                Some(dtype.kind)
            }
            _ => None,
        }
    }

    fn unicode(&mut self, len: u64) -> Step<Value> {
        let bytes = self.bytes(len)?;
        let text = String::from_utf8(bytes).map_err(|_| "string is not valid UTF-8")?;
        Ok(Value::Str(text.into()))
    }

    /// LONG1/LONG4: a little-endian two's-complement integer of `n` bytes.
    fn long(&mut self, n: u64) -> Step<Value> {
        if n > 8 {
            return Err(format!("integer of {n} bytes does not fit in 64 bits").into());
        }
        let mut b = [0u8; 8];
        self.input.read_exact(&mut b[..n as usize])?;
        if n > 0 && b[n as usize - 1] & 0x80 != 0 {
            b[n as usize..].fill(0xff);
        }
        Ok(Value::Int(i64::from_le_bytes(b)))
    }

    fn push_global(&mut self, module: &str, name: &str) -> Step<()> {
        match numpy::lookup(module, name) {
            Some(g) => self.push(Value::Global(g)),
            None => Err(format!(
                "the pickle refers to the Python global `{module}.{name}`, which is not allowed: \
                 only numpy arrays and plain values are read, never code (allowed: {})",
                numpy::ALLOWED
            )
            .into()),
        }
    }

    // ----- stack, marks and memo -----

    /// Stack length at the innermost MARK: values below it belong to an outer level.
    fn fence(&self) -> usize {
        self.marks.last().copied().unwrap_or(0)
    }

    fn push(&mut self, v: Value) -> Step<()> {
        self.heap.budget.value()?;
        self.stack.push(v);
        Ok(())
    }

    fn pop(&mut self) -> Step<Value> {
        if self.stack.len() <= self.fence() {
            return Err("stack underflow".into());
        }
        Ok(self.stack.pop().expect("stack is above the fence"))
    }

    fn top(&self) -> Step<&Value> {
        if self.stack.len() <= self.fence() {
            return Err("stack underflow".into());
        }
        Ok(self.stack.last().expect("stack is above the fence"))
    }

    fn pop_n(&mut self, n: usize) -> Step<Vec<Value>> {
        if self.stack.len() < self.fence() + n {
            return Err("stack underflow".into());
        }
        Ok(self.stack.split_off(self.stack.len() - n))
    }

    fn pop_mark(&mut self) -> Step<Vec<Value>> {
        let mark = self.marks.pop().ok_or("no MARK on the stack")?;
        Ok(self.stack.split_off(mark))
    }

    fn push_tuple(&mut self, items: Vec<Value>) -> Step<()> {
        let depth = 1 + items
            .iter()
            .map(|v| match v {
                Value::Tuple(t) => t.depth,
                _ => 0,
            })
            .max()
            .unwrap_or(0);
        if depth > MAX_DEPTH {
            return Err(format!("tuples nested deeper than {MAX_DEPTH} levels").into());
        }
        self.push(Value::Tuple(Rc::new(Tuple { items, depth })))
    }

    fn put(&mut self, i: u32) -> Step<()> {
        let v = self.top()?.clone();
        if self.memo.insert(i, v).is_none() {
            self.heap.budget.value()?;
        }
        Ok(())
    }

    fn get(&mut self, i: u32) -> Step<()> {
        let v = self
            .memo
            .get(&i)
            .ok_or_else(|| format!("memo has no entry {i}"))?
            .clone();
        self.push(v)
    }

    // ----- arena -----

    fn extend_list(&mut self, items: Vec<Value>) -> Step<()> {
        let target = match *self.top()? {
            Value::Obj(i) => i,
            _ => return Err("APPEND to something that is not a list".into()),
        };
        let Obj::List(list) = self.heap.get_mut(target) else {
            return Err("APPEND to something that is not a list".into());
        };
        list.extend(items);
        Ok(())
    }

    /// Adds entries in stream order; pickle writers never repeat a key.
    fn extend_dict(&mut self, entries: Vec<(Value, Value)>) -> Step<()> {
        let target = match *self.top()? {
            Value::Obj(i) => i,
            _ => return Err("SETITEM on something that is not a dict".into()),
        };
        let Obj::Dict(dict) = self.heap.get_mut(target) else {
            return Err("SETITEM on something that is not a dict".into());
        };
        dict.extend(entries);
        Ok(())
    }
}

fn read_typed(r: &mut impl Read, kind: ElemKind, count: u64) -> io::Result<ArrayData> {
    Ok(match kind {
        ElemKind::F32 => ArrayData::F32(read_elems(r, count, Endian::Little)?),
        ElemKind::F64 => ArrayData::F64(read_elems(r, count, Endian::Little)?),
        ElemKind::I64 => ArrayData::I64(read_elems(r, count, Endian::Little)?),
        ElemKind::I32 => ArrayData::I32(read_elems(r, count, Endian::Little)?),
        ElemKind::U8 => ArrayData::U8(read_bytes(r, count)?),
        ElemKind::Bool => {
            ArrayData::Bool(read_bytes(r, count)?.into_iter().map(|b| b != 0).collect())
        }
    })
}

fn pairs(items: Vec<Value>) -> Step<Vec<(Value, Value)>> {
    if !items.len().is_multiple_of(2) {
        return Err("dict items come in an odd number".into());
    }
    let mut it = items.into_iter();
    let mut out = Vec::new();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        out.push((k, v));
    }
    Ok(out)
}

fn parse_index(text: &str) -> Step<u32> {
    text.trim()
        .parse()
        .map_err(|_| format!("memo index '{text}' is not a number").into())
}
