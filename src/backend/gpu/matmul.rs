//! Matrix products: one tiled kernel (64x64 output tiles, 16-deep slices of the inner
//! dim staged in workgroup memory, 4x4 outputs per thread) over strided operands, so that
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

const SOURCE: &str = "
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
var<workgroup> AS: array<f32, 1024>;
var<workgroup> BS: array<f32, 1024>;

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) w: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let R = P[5];
    let M = P[6];
    let N = P[7];
    let K = P[8];
    let accumulate = P[23] != 0u;
    let bi = w.z;
    let row0 = w.y * 64u;
    let col0 = w.x * 64u;
    var acc: array<f32, 16>;
    for (var i = 0u; i < 16u; i++) {
        acc[i] = 0.0;
    }
    for (var r = 0u; r < R; r++) {
        let abase = P[9] + bi * P[10] + r * P[11];
        let bbase = P[14] + bi * P[15] + r * P[16];
        for (var k0 = 0u; k0 < K; k0 += 16u) {
            for (var t = 0u; t < 4u; t++) {
                let e = li + t * 256u;
                let ar = e / 16u;
                let ak = e % 16u;
                var av = 0.0;
                if (row0 + ar < M && k0 + ak < K) {
                    av = A[abase + (row0 + ar) * P[12] + (k0 + ak) * P[13]];
                }
                AS[ak * 64u + ar] = av;
                let bk = e / 64u;
                let bc = e % 64u;
                var bv = 0.0;
                if (k0 + bk < K && col0 + bc < N) {
                    bv = B[bbase + (k0 + bk) * P[17] + (col0 + bc) * P[18]];
                }
                BS[bk * 64u + bc] = bv;
            }
            workgroupBarrier();
            for (var kk = 0u; kk < 16u; kk++) {
                let ao = kk * 64u + lid.y * 4u;
                let bo = kk * 64u + lid.x * 4u;
                let a = vec4<f32>(AS[ao], AS[ao + 1u], AS[ao + 2u], AS[ao + 3u]);
                let b = vec4<f32>(BS[bo], BS[bo + 1u], BS[bo + 2u], BS[bo + 3u]);
                for (var i = 0u; i < 4u; i++) {
                    acc[i * 4u] += a[i] * b.x;
                    acc[i * 4u + 1u] += a[i] * b.y;
                    acc[i * 4u + 2u] += a[i] * b.z;
                    acc[i * 4u + 3u] += a[i] * b.w;
                }
            }
            workgroupBarrier();
        }
    }
    for (var i = 0u; i < 4u; i++) {
        let row = row0 + lid.y * 4u + i;
        for (var j = 0u; j < 4u; j++) {
            let col = col0 + lid.x * 4u + j;
            if (row < M && col < N) {
                let at = P[19] + bi * P[20] + row * P[21] + col * P[22];
                var v = acc[i * 4u + j];
                if (accumulate) {
                    v += C[at];
                }
                C[at] = v;
            }
        }
    }
}
";

/// `c[batch][row][col] (+)= sum_r a[batch][r] @ b[batch][r]`, with `c` given by its offset
/// and (batch, row, col) strides.
pub(super) fn matmul(
    a: Operand,
    b: Operand,
    c: (&GpuStorage, usize, [usize; 3]),
    d: Dims,
    accumulate: bool,
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
    let gpu = c.0.gpu();
    let k = gpu.kernel("matmul", || SOURCE.to_string());
    let groups = [
        d.n.div_ceil(64) as u32,
        d.m.div_ceil(64) as u32,
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
