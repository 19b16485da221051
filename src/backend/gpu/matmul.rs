//! Matrix products: one tiled kernel (16, 32 or 64 by 64 output tiles, 16-deep slices of
//! the inner dim staged in workgroup memory, 4x4 outputs per thread) over strided operands, so that
//! transposed views, broadcast batches and the convolution's unfolded patches need no
//! copies. A second, outer sum (`r`) lets the weight gradient of a convolution add over
//! the images of a batch inside the kernel.
use super::GpuStorage;
use super::kernels::Params;
use crate::DType;
use crate::layout::Layout;

/// One operand: `x[batch][r][row][col]` at `offset + batch*strides[0] + r*strides[1] +
/// row*strides[2] + col*strides[3]`.
#[derive(Clone, Copy)]
pub(super) struct Operand<'a> {
    pub s: &'a GpuStorage,
    pub offset: usize,
    pub strides: [usize; 4],
}

/// The sizes of a product: `batch` independent `[m, k] x [k, n]` products, each summed
/// over `r` pairs of operands.
#[derive(Clone, Copy)]
pub(super) struct Dims {
    pub batch: usize,
    pub r: usize,
    pub m: usize,
    pub n: usize,
    pub k: usize,
}

/// The number of parts [`split_r`] cuts an outer sum of `r` terms into.
pub(super) fn parts_for(r: usize) -> usize {
    r.min(32)
}

/// `c (+)= sum over r of a[r] @ b[r]` for a long outer sum into few outputs: the sum is cut
/// into parts that run side by side (a single product would occupy a handful of
/// workgroups), each into its own slice of a partial result, and the parts are then
/// added. `a` and `b` give the stride between terms in `strides[1]`; `c` is dense
/// `[m, n]`.
pub(super) fn split_r(a: Operand, b: Operand, c: &GpuStorage, c_offset: usize, d: Dims) {
    let parts = parts_for(d.r);
    let per = d.r.div_ceil(parts);
    let parts = d.r.div_ceil(per);
    let partial = GpuStorage::empty(c.gpu(), parts * d.m * d.n, DType::F32, "matmul");
    let mut a = a;
    let mut b = b;
    a.strides[0] = a.strides[1] * per;
    b.strides[0] = b.strides[1] * per;
    launch_matmul(
        a,
        b,
        (&partial, 0, [d.m * d.n, d.n, 1]),
        Dims {
            batch: parts,
            r: per,
            ..d
        },
        false,
        d.r,
    );
    let sum = partial.reduce(
        &Layout::contiguous(&[parts, d.m * d.n]),
        &[0],
        crate::backend::ops::ReduceOp::Sum,
    );
    let src = Layout::contiguous(&[d.m * d.n]);
    let dst = Layout {
        shape: vec![d.m * d.n].into(),
        strides: vec![1],
        offset: c_offset,
    };
    super::elementwise::copy_into(c, &dst, &sum, &src);
}

/// The kernel for tiles of `tm` rows (16, 32 or 64) by 64 columns: `tm / 4 x 16` threads
/// of 4x4 outputs each, accumulated in four vec4 registers (no dynamic indexing, which
/// some compilers would put in memory).
fn source(tm: usize) -> String {
    let threads = tm * 4;
    format!(
        "
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
const TM: u32 = {tm}u;
const NT: u32 = {threads}u;
var<workgroup> AS: array<f32, {a_tile}>;
var<workgroup> BS: array<f32, 1024>;

@compute @workgroup_size(16, {rows})
fn main(@builtin(workgroup_id) w: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) li: u32) {{
    let R = P[5];
    let M = P[6];
    let N = P[7];
    let K = P[8];
    let bi = w.z;
    let row0 = w.y * TM;
    let col0 = w.x * 64u;
    var c0 = vec4<f32>(0.0);
    var c1 = vec4<f32>(0.0);
    var c2 = vec4<f32>(0.0);
    var c3 = vec4<f32>(0.0);
    // With the outer sum split over the batch (`split_r`), part bi sums r-terms
    // bi * R .. min((bi + 1) * R, P[24]).
    for (var r = 0u; r < R && bi * R + r < P[24]; r++) {{
        let abase = P[9] + bi * P[10] + r * P[11];
        let bbase = P[14] + bi * P[15] + r * P[16];
        for (var k0 = 0u; k0 < K; k0 += 16u) {{
            for (var e = li; e < TM * 16u; e += NT) {{
                let ar = e / 16u;
                let ak = e % 16u;
                var av = 0.0;
                if (row0 + ar < M && k0 + ak < K) {{
                    av = A[abase + (row0 + ar) * P[12] + (k0 + ak) * P[13]];
                }}
                AS[ak * TM + ar] = av;
            }}
            for (var e = li; e < 1024u; e += NT) {{
                let bk = e / 64u;
                let bc = e % 64u;
                var bv = 0.0;
                if (k0 + bk < K && col0 + bc < N) {{
                    bv = B[bbase + (k0 + bk) * P[17] + (col0 + bc) * P[18]];
                }}
                BS[bk * 64u + bc] = bv;
            }}
            workgroupBarrier();
            for (var kk = 0u; kk < 16u; kk++) {{
                let ao = kk * TM + lid.y * 4u;
                let bo = kk * 64u + lid.x * 4u;
                let b = vec4<f32>(BS[bo], BS[bo + 1u], BS[bo + 2u], BS[bo + 3u]);
                c0 += AS[ao] * b;
                c1 += AS[ao + 1u] * b;
                c2 += AS[ao + 2u] * b;
                c3 += AS[ao + 3u] * b;
            }}
            workgroupBarrier();
        }}
    }}
    let row = row0 + lid.y * 4u;
    let col = col0 + lid.x * 4u;
    store(bi, row, col, c0, M, N);
    store(bi, row + 1u, col, c1, M, N);
    store(bi, row + 2u, col, c2, M, N);
    store(bi, row + 3u, col, c3, M, N);
}}

fn store(bi: u32, row: u32, col: u32, v: vec4<f32>, M: u32, N: u32) {{
    if (row >= M) {{
        return;
    }}
    let base = P[19] + bi * P[20] + row * P[21];
    let accumulate = P[23] != 0u;
    for (var j = 0u; j < 4u; j++) {{
        if (col + j < N) {{
            let at = base + (col + j) * P[22];
            var x = v[j];
            if (accumulate) {{
                x += C[at];
            }}
            C[at] = x;
        }}
    }}
}}
",
        a_tile = tm * 16,
        rows = tm / 4,
    )
}

/// `c[batch][row][col] (+)= sum_r a[batch][r] @ b[batch][r]`, with `c` given by its offset
/// and (batch, row, col) strides.
pub(super) fn matmul(
    a: Operand,
    b: Operand,
    c: (&GpuStorage, usize, [usize; 3]),
    d: Dims,
    accumulate: bool,
) {
    launch_matmul(a, b, c, d, accumulate, usize::MAX)
}

/// [`matmul`], where batch `bi` sums only terms `bi * r ..` below `r_total`.
fn launch_matmul(
    a: Operand,
    b: Operand,
    c: (&GpuStorage, usize, [usize; 3]),
    d: Dims,
    accumulate: bool,
    r_total: usize,
) {
    for (s, what) in [(a.s, "first"), (b.s, "second"), (c.0, "output")] {
        assert_eq!(
            s.dtype,
            DType::F32,
            "matmul: the {what} operand is {}, but the GPU multiplies float32 only",
            s.dtype
        );
    }
    if d.batch == 0 || d.m == 0 || d.n == 0 {
        return;
    }
    if d.k == 0 || d.r == 0 {
        if !accumulate {
            // An empty inner dim gives zeros; write them through the same strided view.
            let gpu = c.0.gpu();
            let zeros = GpuStorage::empty(gpu, 1, DType::F32, "matmul");
            super::elementwise::fill(&zeros, 0.0);
            let zl = Layout {
                shape: vec![d.batch, d.m, d.n].into(),
                strides: vec![0, 0, 0],
                offset: 0,
            };
            let cl = Layout {
                shape: vec![d.batch, d.m, d.n].into(),
                strides: c.2.to_vec(),
                offset: c.1,
            };
            super::elementwise::copy_into(c.0, &cl, &zeros, &zl);
        }
        return;
    }
    assert!(
        d.batch <= 65535,
        "matmul: a batch of {} products exceeds the GPU's 65535 workgroups in one dim",
        d.batch
    );
    let mut p = Params::new(1);
    for v in [d.r, d.m, d.n, d.k] {
        p.push(v);
    }
    for op in [a, b] {
        p.push(op.offset);
        for s in op.strides {
            p.push(s);
        }
    }
    p.push(c.1);
    for s in c.2 {
        p.push(s);
    }
    p.push(accumulate as usize);
    p.push(r_total.min(u32::MAX as usize));
    // Short rows (a convolution's output channels, a classifier's batch) waste less of a
    // shorter tile.
    let tm = match d.m {
        0..=16 => 16,
        17..=32 => 32,
        _ => 64,
    };
    let gpu = c.0.gpu();
    let k = gpu.kernel(&format!("matmul:{tm}"), || source(tm));
    let groups = [
        d.n.div_ceil(64) as u32,
        d.m.div_ceil(tm) as u32,
        d.batch as u32,
    ];
    gpu.launch(&k, &p.0, &[a.s.raw(), b.s.raw(), c.0.raw()], groups);
}

impl GpuStorage {
    pub fn bmm(&self, l: &Layout, rhs: &GpuStorage, rl: &Layout) -> GpuStorage {
        let (batch, m, k, n) = (l.shape[0], l.shape[1], l.shape[2], rl.shape[2]);
        let out = self.empty_like(batch * m * n, DType::F32, "matmul");
        matmul(
            Operand {
                s: self,
                offset: l.offset,
                strides: [l.strides[0], 0, l.strides[1], l.strides[2]],
            },
            Operand {
                s: rhs,
                offset: rl.offset,
                strides: [rl.strides[0], 0, rl.strides[1], rl.strides[2]],
            },
            (&out, 0, [m * n, n, 1]),
            Dims {
                batch,
                r: 1,
                m,
                n,
                k,
            },
            false,
        );
        out
    }
}
