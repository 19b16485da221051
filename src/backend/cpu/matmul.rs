//! Batched matrix products: gemm for floats, a plain loop for integers.
use super::CpuStorage;
use crate::backend::threads::pool;
use crate::layout::Layout;

/// `[b, m, k] x [b, k, n] -> [b, m, n]`, both operands given by strided 3-D layouts.
#[track_caller]
pub(super) fn bmm(a: &CpuStorage, la: &Layout, b: &CpuStorage, lb: &Layout) -> CpuStorage {
    match (a, b) {
        (CpuStorage::F32(x), CpuStorage::F32(y)) => CpuStorage::F32(bmm_gemm(x, la, y, lb)),
        (CpuStorage::F64(x), CpuStorage::F64(y)) => CpuStorage::F64(bmm_gemm(x, la, y, lb)),
        (CpuStorage::I64(x), CpuStorage::I64(y)) => CpuStorage::I64(bmm_naive(x, la, y, lb)),
        (a, b) => panic!(
            "matmul is not supported for {:?} and {:?}",
            a.dtype(),
            b.dtype()
        ),
    }
}

fn dims(la: &Layout, lb: &Layout) -> (usize, usize, usize, usize) {
    (la.shape[0], la.shape[1], la.shape[2], lb.shape[2])
}

fn bmm_gemm<T: crate::dtype::Float + Default>(
    x: &[T],
    la: &Layout,
    y: &[T],
    lb: &Layout,
) -> Vec<T> {
    let (batch, m, k, n) = dims(la, lb);
    let mut out = vec![T::ZERO; batch * m * n];
    if m == 0 || n == 0 {
        return out;
    }
    if k == 0 {
        return out;
    }
    let flops = m * n * k;
    let (threads, pool) = pool();
    let mut run = |par: gemm::Parallelism| {
        for bi in 0..batch {
            // SAFETY: the layouts were checked by the caller to lie inside `x` and `y`
            // (views are only built in bounds), and `out` holds exactly b*m*n elements.
            unsafe {
                gemm::gemm(
                    m,
                    n,
                    k,
                    out.as_mut_ptr().add(bi * m * n),
                    1,
                    n as isize,
                    false,
                    x.as_ptr().add(la.offset + bi * la.strides[0]),
                    la.strides[2] as isize,
                    la.strides[1] as isize,
                    y.as_ptr().add(lb.offset + bi * lb.strides[0]),
                    lb.strides[2] as isize,
                    lb.strides[1] as isize,
                    T::ZERO,
                    T::ONE,
                    false,
                    false,
                    false,
                    par,
                );
            }
        }
    };
    // Small products run on the calling thread: waking a pool costs more than it saves.
    if threads > 1 && flops >= 1 << 22 {
        pool.install(|| run(gemm::Parallelism::Rayon(threads)));
    } else {
        run(gemm::Parallelism::None);
    }
    out
}

fn bmm_naive(x: &[i64], la: &Layout, y: &[i64], lb: &Layout) -> Vec<i64> {
    let (batch, m, k, n) = dims(la, lb);
    let mut out = vec![0i64; batch * m * n];
    for bi in 0..batch {
        for i in 0..m {
            for j in 0..n {
                let mut acc = 0i64;
                for p in 0..k {
                    let a =
                        x[la.offset + bi * la.strides[0] + i * la.strides[1] + p * la.strides[2]];
                    let b =
                        y[lb.offset + bi * lb.strides[0] + p * lb.strides[1] + j * lb.strides[2]];
                    acc = acc.wrapping_add(a.wrapping_mul(b));
                }
                out[(bi * m + i) * n + j] = acc;
            }
        }
    }
    out
}
