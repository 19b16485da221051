//! What every launch needs: WGSL names of dtypes, the parameter words, strided layouts
//! folded to their fewest dims, and workgroup grids.
use crate::DType;
use crate::layout::contiguous_strides;

/// Threads per workgroup of the one-dimensional kernels (`WG` in the prelude).
pub(crate) const WG: usize = 256;

/// The WGSL element type a dtype is stored as: bytes and booleans take a u32 each, since
/// WGSL has no 8-bit storage; float64 has no WGSL math at all.
#[track_caller]
pub(crate) fn wgsl_type(d: DType, op: &str) -> &'static str {
    match d {
        DType::F32 => "f32",
        DType::I64 => "i64",
        DType::U8 | DType::Bool => "u32",
        DType::F64 => panic!(
            "{op}: float64 is not supported on the GPU (WGSL has no 64-bit float math); convert with .float() first"
        ),
    }
}

/// Bytes per element as stored on the GPU.
pub(crate) fn elem_bytes(d: DType) -> u64 {
    match d {
        DType::I64 | DType::F64 => 8,
        _ => 4,
    }
}

/// The op an error flag raised by a kernel stands for.
pub(crate) fn flag_op(code: u32) -> &'static str {
    match code {
        FLAG_GATHER => "gather",
        FLAG_SCATTER_ADD => "scatter_add",
        FLAG_INDEX_SELECT => "index_select",
        FLAG_INDEX_ADD => "index_add",
        FLAG_TARGET => "cross_entropy/nll_loss (a target class)",
        _ => "a kernel",
    }
}
pub(crate) const FLAG_GATHER: u32 = 1;
pub(crate) const FLAG_SCATTER_ADD: u32 = 2;
pub(crate) const FLAG_INDEX_SELECT: u32 = 3;
pub(crate) const FLAG_INDEX_ADD: u32 = 4;
pub(crate) const FLAG_TARGET: u32 = 5;

/// The WGSL binding of the error flags, for kernels that check indices.
pub(crate) fn flags_binding(binding: usize) -> String {
    format!(
        "@group(0) @binding({binding}) var<storage, read_write> FLAGS: atomic<u32>;\n\
         fn flag_error(code: u32) {{ atomicMax(&FLAGS, code); }}\n"
    )
}

fn word(v: usize, what: &str) -> u32 {
    u32::try_from(v).unwrap_or_else(|_| {
        panic!("{what} {v} is beyond the GPU kernels' 32-bit indexing (tensor too large)")
    })
}

/// One launch's parameter words (see the prelude for the first five).
pub(crate) struct Params(pub Vec<u32>);

impl Params {
    /// Parameters of a launch where `threads` threads do work.
    pub fn new(threads: usize) -> Params {
        Params(vec![word(threads, "element count"), 0, 0, 0, 0])
    }

    pub fn f32(mut self, slot: usize, v: f32) -> Params {
        self.0[1 + 2 * slot] = v.to_bits();
        self
    }

    pub fn i64(mut self, slot: usize, v: i64) -> Params {
        self.0[1 + 2 * slot] = v as u64 as u32;
        self.0[2 + 2 * slot] = ((v as u64) >> 32) as u32;
        self
    }

    pub fn u32(mut self, slot: usize, v: u32) -> Params {
        self.0[1 + 2 * slot] = v;
        self
    }

    /// A plain word the kernel reads at its position.
    pub fn push(&mut self, v: usize) {
        self.0.push(word(v, "size"));
    }

    /// Appends a layout block (rank, shape, then offset and strides per operand), folded
    /// to its fewest dims; returns where it starts (the first block is the prelude's
    /// `LAYOUT`).
    pub fn layout(&mut self, shape: &[usize], operands: &[(&[usize], usize)]) -> usize {
        let (shape, strides) = coalesce(shape, operands.iter().map(|o| o.0));
        let base = self.0.len();
        self.push(shape.len());
        for &s in &shape {
            self.push(s);
        }
        for (st, &(_, off)) in strides.iter().zip(operands) {
            self.push(off);
            for &s in st {
                self.push(s);
            }
        }
        base
    }

    /// A layout block for a contiguous output followed by strided inputs, the common case.
    pub fn with_layout(mut self, shape: &[usize], operands: &[(&[usize], usize)]) -> Params {
        self.layout(shape, operands);
        self
    }
}

/// Drops size-1 dims and merges neighbours that every operand walks contiguously, so
/// most kernels index over one or two dims.
pub(crate) fn coalesce<'a>(
    shape: &[usize],
    strides: impl Iterator<Item = &'a [usize]>,
) -> (Vec<usize>, Vec<Vec<usize>>) {
    let strides: Vec<&[usize]> = strides.collect();
    let keep: Vec<usize> = (0..shape.len()).filter(|&d| shape[d] != 1).collect();
    let mut out_shape: Vec<usize> = Vec::new();
    let mut out_strides: Vec<Vec<usize>> = vec![Vec::new(); strides.len()];
    for &d in &keep {
        let mergeable = !out_shape.is_empty()
            && strides.iter().zip(&out_strides).all(|(s, o)| {
                let last = *o.last().unwrap();
                last == s[d] * shape[d]
            });
        if mergeable {
            *out_shape.last_mut().unwrap() *= shape[d];
            for (s, o) in strides.iter().zip(out_strides.iter_mut()) {
                *o.last_mut().unwrap() = s[d];
            }
        } else {
            out_shape.push(shape[d]);
            for (s, o) in strides.iter().zip(out_strides.iter_mut()) {
                o.push(s[d]);
            }
        }
    }
    (out_shape, out_strides)
}

/// The row-major strides of a contiguous tensor of `shape`.
pub(crate) fn dense(shape: &[usize]) -> Vec<usize> {
    contiguous_strides(shape)
}

/// A grid of 256-thread workgroups covering `threads`, folded into two dims beyond the
/// 65535 a dimension may hold.
pub(crate) fn grid(threads: usize) -> [u32; 3] {
    let groups = threads.div_ceil(WG);
    if groups <= 65535 {
        [groups as u32, 1, 1]
    } else {
        [65535, word(groups.div_ceil(65535), "workgroup count"), 1]
    }
}

/// The `main` of a one-dimensional kernel: `i` is the thread's element, and threads past
/// `P[0]` return at once.
pub(crate) const MAIN_1D: &str = "@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) w: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let i = linear_id(w, nw, li);
    if (i >= P[0]) {
        return;
    }
";

#[cfg(test)]
mod tests {
    use super::coalesce;

    #[test]
    fn coalescing_merges_contiguous_runs_and_keeps_broadcasts_apart() {
        let (s, st) = coalesce(
            &[2, 3, 4],
            [&[12usize, 4, 1][..], &[12, 4, 1][..]].into_iter(),
        );
        assert_eq!((s, st), (vec![24], vec![vec![1], vec![1]]));
        // A transposed operand stops the merge; a broadcast bias merges only with itself.
        let (s, st) = coalesce(&[2, 3], [&[3usize, 1][..], &[1, 2][..]].into_iter());
        assert_eq!((s, st), (vec![2, 3], vec![vec![3, 1], vec![1, 2]]));
        let (s, st) = coalesce(
            &[4, 1, 5],
            [&[5usize, 5, 1][..], &[0, 0, 1][..]].into_iter(),
        );
        assert_eq!((s, st), (vec![4, 5], vec![vec![5, 1], vec![0, 1]]));
        let (s, st) = coalesce(&[1, 1], [&[1usize, 1][..]].into_iter());
        assert_eq!((s, st), (vec![], vec![vec![]]));
    }
}
