//! Indexing kernels: gather / scatter_add and index_select / index_add. The adding ones
//! run one thread per output element that scans the indices for its own position, so
//! they need no float atomics and sum in the CPU's order (bit-identical results). An
//! index out of range raises the error flag, reported at the next read-back.
use super::kernels::{
    FLAG_GATHER, FLAG_INDEX_ADD, FLAG_INDEX_SELECT, FLAG_SCATTER_ADD, MAIN_1D, Params, dense,
    flags_binding, wgsl_type,
};
use super::{GpuStorage, launch};
use crate::DType;
use crate::layout::Layout;

fn check_index(index: &GpuStorage, op: &str) {
    assert_eq!(
        index.dtype,
        DType::I64,
        "{op}: index must be an int64 tensor, got {:?}",
        index.dtype
    );
}

/// The bindings every indexing kernel has: the int64 indices, the values (`name`), the
/// output, and the error flags; then `main`'s opening.
fn header(ty: &str, name: &str) -> String {
    format!(
        "@group(0) @binding(1) var<storage, read> IDX: array<i64>;
@group(0) @binding(2) var<storage, read> {name}: array<{ty}>;
@group(0) @binding(3) var<storage, read_write> Y: array<{ty}>;
{}{MAIN_1D}",
        flags_binding(4)
    )
}

/// Launches an indexing kernel over `p`'s threads with [`header`]'s bindings.
fn run(key: &str, body: &str, ty: &str, name: &str, p: Params, bufs: [&GpuStorage; 3]) {
    let gpu = bufs[2].gpu();
    let [index, values, out] = bufs;
    launch(
        gpu,
        &format!("{key}:{ty}"),
        || format!("{}{body}}}\n", header(ty, name)),
        p,
        &[index.raw(), values.raw(), out.raw(), &gpu.flags()],
    );
}

fn zero_for(src: &GpuStorage) -> &'static str {
    match src.dtype {
        DType::F32 => "0.0",
        DType::I64 => "0li",
        d => panic!("scatter_add/index_add are not supported for {d:?}"),
    }
}

impl GpuStorage {
    pub fn gather(&self, l: &Layout, dim: usize, index: &GpuStorage, il: &Layout) -> GpuStorage {
        check_index(index, "gather");
        let ty = wgsl_type(self.dtype, "gather");
        let out = self.empty_like(il.numel(), self.dtype, "gather");
        let mut xs = l.strides.clone();
        xs[dim] = 0;
        let os = dense(&il.shape);
        let p = Params::new(il.numel())
            .u32(0, l.shape[dim] as u32)
            .u32(1, l.strides[dim] as u32)
            .with_layout(
                &il.shape,
                &[(&il.strides, il.offset), (&xs, l.offset), (&os, 0)],
            );
        let body = format!(
            "    let j = IDX[strided(i, 0u)];
    if (j < 0li || j >= i64(scalar_u32(0u))) {{
        flag_error({FLAG_GATHER}u);
        return;
    }}
    Y[strided(i, 2u)] = X[strided(i, 1u) + u32(j) * scalar_u32(1u)];
"
        );
        run("gather", &body, ty, "X", p, [index, self, &out]);
        out
    }

    pub fn scatter_add(
        shape: &[usize],
        dim: usize,
        index: &GpuStorage,
        il: &Layout,
        src: &GpuStorage,
        sl: &Layout,
    ) -> GpuStorage {
        check_index(index, "scatter_add");
        let ty = wgsl_type(src.dtype, "scatter_add");
        let zero = zero_for(src);
        let n: usize = shape.iter().product();
        let out = src.empty_like(n, src.dtype, "scatter_add");
        // P[5..]: rank, dim, then per dim: the output's size, the index's size, and the
        // index's and the source's strides; then both offsets.
        let mut p = Params::new(n);
        p.push(shape.len());
        p.push(dim);
        for (d, &size) in shape.iter().enumerate() {
            p.push(size);
            p.push(il.shape[d]);
            p.push(il.strides[d]);
            p.push(sl.strides[d]);
        }
        p.push(il.offset);
        p.push(sl.offset);
        let body = format!(
            "    let rank = P[5];
    let dim = P[6];
    var rem = i;
    var ib = P[7u + 4u * rank];
    var sb = P[8u + 4u * rank];
    var want = 0u;
    var inside = true;
    for (var d = rank; d > 0u; d--) {{
        let f = 7u + 4u * (d - 1u);
        let c = rem % P[f];
        rem /= P[f];
        if (d - 1u == dim) {{
            want = c;
        }} else if (c >= P[f + 1u]) {{
            inside = false;
        }} else {{
            ib += c * P[f + 2u];
            sb += c * P[f + 3u];
        }}
    }}
    let fd = 7u + 4u * dim;
    let size = P[fd];
    var acc = {zero};
    if (inside) {{
        for (var j = 0u; j < P[fd + 1u]; j++) {{
            let k = IDX[ib + j * P[fd + 2u]];
            if (k < 0li || k >= i64(size)) {{
                flag_error({FLAG_SCATTER_ADD}u);
            }} else if (u32(k) == want) {{
                acc += SRC[sb + j * P[fd + 3u]];
            }}
        }}
    }}
    Y[i] = acc;
"
        );
        run("scatter_add", &body, ty, "SRC", p, [index, src, &out]);
        out
    }

    pub fn index_select(
        &self,
        l: &Layout,
        dim: usize,
        index: &GpuStorage,
        il: &Layout,
    ) -> GpuStorage {
        check_index(index, "index_select");
        let ty = wgsl_type(self.dtype, "index_select");
        let j = il.numel();
        let mut shape = l.shape.to_vec();
        shape[dim] = j;
        let n: usize = shape.iter().product();
        let inner: usize = shape[dim + 1..].iter().product();
        let out = self.empty_like(n, self.dtype, "index_select");
        let mut xs = l.strides.clone();
        xs[dim] = 0;
        let os = dense(&shape);
        let mut p = Params::new(n)
            .u32(0, l.shape[dim] as u32)
            .u32(1, l.strides[dim] as u32);
        p.layout(&shape, &[(&xs, l.offset), (&os, 0)]);
        let iblock = p.layout(
            &[j],
            &[(&[il.strides.first().copied().unwrap_or(0)], il.offset)],
        );
        p.push(iblock);
        p.push(inner.max(1));
        p.push(j.max(1));
        let body = format!(
            "    let n = arrayLength(&P);
    let row = (i / P[n - 2u]) % P[n - 1u];
    let k = IDX[strided_at(P[n - 3u], row, 0u)];
    if (k < 0li || k >= i64(scalar_u32(0u))) {{
        flag_error({FLAG_INDEX_SELECT}u);
        return;
    }}
    Y[strided(i, 1u)] = X[strided(i, 0u) + u32(k) * scalar_u32(1u)];
"
        );
        run("index_select", &body, ty, "X", p, [index, self, &out]);
        out
    }

    pub fn index_add(
        shape: &[usize],
        dim: usize,
        index: &GpuStorage,
        il: &Layout,
        src: &GpuStorage,
        sl: &Layout,
    ) -> GpuStorage {
        check_index(index, "index_add");
        let ty = wgsl_type(src.dtype, "index_add");
        let zero = zero_for(src);
        let n: usize = shape.iter().product();
        let j = il.numel();
        let inner: usize = shape[dim + 1..].iter().product();
        let out = src.empty_like(n, src.dtype, "index_add");
        let mut ss = sl.strides.clone();
        ss[dim] = 0;
        let os = dense(shape);
        let mut p = Params::new(n)
            .u32(0, shape[dim] as u32)
            .u32(1, sl.strides[dim] as u32);
        p.layout(shape, &[(&ss, sl.offset), (&os, 0)]);
        let iblock = p.layout(
            &[j],
            &[(&[il.strides.first().copied().unwrap_or(0)], il.offset)],
        );
        p.push(iblock);
        p.push(inner.max(1));
        p.push(j);
        let body = format!(
            "    let n = arrayLength(&P);
    let size = scalar_u32(0u);
    let want = (i / P[n - 2u]) % size;
    let base = strided(i, 0u);
    var acc = {zero};
    for (var r = 0u; r < P[n - 1u]; r++) {{
        let k = IDX[strided_at(P[n - 3u], r, 0u)];
        if (k < 0li || k >= i64(size)) {{
            flag_error({FLAG_INDEX_ADD}u);
        }} else if (u32(k) == want) {{
            acc += SRC[base + r * scalar_u32(1u)];
        }}
    }}
    Y[strided(i, 1u)] = acc;
"
        );
        run("index_add", &body, ty, "SRC", p, [index, src, &out]);
        out
    }
}
