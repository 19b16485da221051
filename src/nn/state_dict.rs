//! State dicts: named tensors, saved and loaded as safetensors files.
use crate::layout::checked_numel;
use crate::{DType, Error, Result, Tensor};
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

/// The safetensors metadata entry that records the order of the names.
const ORDER_KEY: &str = "firelight.order";

/// Named tensors in insertion order, like the `OrderedDict` PyTorch's `state_dict()` returns.
///
/// ```
/// use firelight::{nn::StateDict, Tensor};
/// let mut sd = StateDict::new();
/// sd.insert("weight", Tensor::ones(&[2, 2]));
/// assert_eq!(sd.get("weight").unwrap().shape(), &[2, 2]);
/// assert_eq!(sd.len(), 1);
/// ```
#[derive(Clone, Default)]
pub struct StateDict {
    entries: Vec<(String, Tensor)>,
    /// Where each name sits in `entries`, so that a file of many tensors loads in linear
    /// time.
    index: HashMap<String, usize>,
}

impl std::fmt::Debug for StateDict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateDict")
            .field("entries", &self.entries)
            .finish()
    }
}

impl StateDict {
    /// An empty state dict.
    pub fn new() -> StateDict {
        StateDict::default()
    }

    /// Adds or replaces the tensor under `name`.
    pub fn insert(&mut self, name: impl Into<String>, t: Tensor) {
        let name = name.into();
        match self.index.get(&name) {
            Some(&i) => self.entries[i].1 = t,
            None => {
                self.index.insert(name.clone(), self.entries.len());
                self.entries.push((name, t));
            }
        }
    }

    /// The tensor under `name`.
    pub fn get(&self, name: &str) -> Option<&Tensor> {
        self.index.get(name).map(|&i| &self.entries[i].1)
    }

    /// Names and tensors in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Tensor)> {
        self.entries.iter().map(|(n, t)| (n, t))
    }

    /// The names in insertion order.
    pub fn keys(&self) -> Vec<&str> {
        self.entries.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Writes a safetensors file atomically: to a temporary file beside `path`, flushed to
    /// disk, then renamed over `path`, so a crash never leaves a half-written checkpoint.
    ///
    /// ```
    /// use firelight::{nn::StateDict, Tensor};
    /// let mut sd = StateDict::new();
    /// sd.insert("w", Tensor::tensor([1.0, 2.0]));
    /// let path = std::env::temp_dir().join(format!("firelight-doc-{}.safetensors", std::process::id()));
    /// sd.save(&path).unwrap();
    /// let back = StateDict::load(&path).unwrap();
    /// assert_eq!(back.get("w").unwrap().to_vec::<f32>(), vec![1.0, 2.0]);
    /// std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let bytes = self.to_safetensors().map_err(|e| Error::format(path, e))?;
        let file_name = path
            .file_name()
            .ok_or_else(|| Error::msg(format!("{}: not a file path", path.display())))?;
        let tmp = path.with_file_name(format!(
            ".{}.tmp-{}",
            file_name.to_string_lossy(),
            std::process::id()
        ));
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()
        };
        if let Err(e) = write() {
            let _ = std::fs::remove_file(&tmp);
            return Err(Error::io(&tmp, e));
        }
        std::fs::rename(&tmp, path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::io(path, e)
        })
    }

    fn to_safetensors(&self) -> std::result::Result<Vec<u8>, String> {
        let raw: Vec<(String, safetensors::Dtype, Vec<usize>, Vec<u8>)> = self
            .entries
            .iter()
            .map(|(n, t)| {
                let (dtype, data) = tensor_bytes(t);
                (n.clone(), dtype, t.shape().to_vec(), data)
            })
            .collect();
        let views = raw
            .iter()
            .map(|(n, d, s, b)| {
                safetensors::tensor::TensorView::new(*d, s.clone(), b)
                    .map(|v| (n.clone(), v))
                    .map_err(|e| e.to_string())
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        // safetensors sorts tensors by dtype and name; the metadata keeps insertion order.
        let order = self
            .entries
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        let metadata = std::collections::HashMap::from([(ORDER_KEY.to_string(), order)]);
        safetensors::serialize(views, Some(metadata)).map_err(|e| e.to_string())
    }

    /// Reads a safetensors file (f32, f64, i64, u8 and bool tensors).
    ///
    /// The file is read whole (the tensors are copied out of it); its header is limited to
    /// 100 MB by the safetensors crate, and every shape is checked before a tensor is made.
    pub fn load(path: impl AsRef<Path>) -> Result<StateDict> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let st = safetensors::SafeTensors::deserialize(&bytes)
            .map_err(|e| Error::format(path, format!("not a valid safetensors file: {e}")))?;
        // Files from firelight record the insertion order; others keep their data order.
        let mut named: Vec<(String, safetensors::tensor::TensorView)> = st.tensors();
        named.sort_by_key(|(_, v)| v.data().as_ptr() as usize);
        let (_, header) = safetensors::SafeTensors::read_metadata(&bytes)
            .map_err(|e| Error::format(path, format!("not a valid safetensors file: {e}")))?;
        if let Some(order) = header.metadata().as_ref().and_then(|m| m.get(ORDER_KEY)) {
            let mut rank = HashMap::new();
            for (i, n) in order.split('\n').enumerate() {
                rank.entry(n).or_insert(i);
            }
            named.sort_by_key(|(n, _)| rank.get(n.as_str()).copied().unwrap_or(usize::MAX));
        }
        let mut sd = StateDict::new();
        for (name, view) in named {
            let t = tensor_from_bytes(view.dtype(), view.shape(), view.data())
                .map_err(|m| Error::format(path, format!("tensor {name:?}: {m}")))?;
            sd.insert(name, t);
        }
        Ok(sd)
    }
}

fn tensor_bytes(t: &Tensor) -> (safetensors::Dtype, Vec<u8>) {
    use safetensors::Dtype as D;
    match t.dtype() {
        DType::F32 => (
            D::F32,
            t.to_vec::<f32>()
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect(),
        ),
        DType::F64 => (
            D::F64,
            t.to_vec::<f64>()
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect(),
        ),
        DType::I64 => (
            D::I64,
            t.to_vec::<i64>()
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect(),
        ),
        DType::U8 => (D::U8, t.to_vec::<u8>()),
        DType::Bool => (
            D::BOOL,
            t.to_vec::<bool>().into_iter().map(u8::from).collect(),
        ),
    }
}

fn tensor_from_bytes(
    dtype: safetensors::Dtype,
    shape: &[usize],
    data: &[u8],
) -> std::result::Result<Tensor, String> {
    use safetensors::Dtype as D;
    if checked_numel(shape).is_none() {
        return Err(format!(
            "shape {shape:?} is too large: its strides overflow"
        ));
    }
    fn chunks<const N: usize, T>(data: &[u8], f: impl Fn([u8; N]) -> T) -> Vec<T> {
        data.chunks_exact(N)
            .map(|c| f(c.try_into().expect("exact chunks")))
            .collect()
    }
    Ok(match dtype {
        D::F32 => Tensor::from_vec(chunks(data, f32::from_le_bytes), shape),
        D::F64 => Tensor::from_vec(chunks(data, f64::from_le_bytes), shape),
        D::I64 => Tensor::from_vec(chunks(data, i64::from_le_bytes), shape),
        D::U8 => Tensor::from_vec(data.to_vec(), shape),
        D::BOOL => Tensor::from_vec(data.iter().map(|&b| b != 0).collect::<Vec<bool>>(), shape),
        other => return Err(format!("dtype {other:?} is not supported")),
    })
}
