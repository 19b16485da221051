// Shared by every kernel. P holds one launch's parameters, at the launch's own offset
// in the parameter arena: P[0] is the number of threads that do work, P[1..5] two
// scalar slots of two words each, and from P[5] on what the kernel lays out itself
// (usually a strided-layout block, read by `strided`).
@group(0) @binding(0) var<storage, read> P: array<u32>;

const WG: u32 = 256u;
const LAYOUT: u32 = 5u;

// The thread's linear index over a grid of up to 65535 x 65535 workgroups.
fn linear_id(w: vec3<u32>, nw: vec3<u32>, li: u32) -> u32 {
    return (w.y * nw.x + w.x) * WG + li;
}

fn scalar_f32(slot: u32) -> f32 {
    return bitcast<f32>(P[1u + 2u * slot]);
}

fn scalar_u32(slot: u32) -> u32 {
    return P[1u + 2u * slot];
}

fn scalar_i64(slot: u32) -> i64 {
    let lo = u64(P[1u + 2u * slot]);
    let hi = u64(P[2u + 2u * slot]);
    return bitcast<i64>((hi << 32u) | lo);
}

// The storage index of element `i` (row-major over the block's shape) of operand `k`
// in the layout block at P[base]: rank, shape[rank], then per operand offset, strides.
fn strided_at(base: u32, i: u32, k: u32) -> u32 {
    let rank = P[base];
    let op = base + 1u + rank + k * (rank + 1u);
    var off = P[op];
    var rem = i;
    for (var d = rank; d > 0u; d--) {
        let size = P[base + d];
        off += (rem % size) * P[op + d];
        rem /= size;
    }
    return off;
}

fn strided(i: u32, k: u32) -> u32 {
    return strided_at(LAYOUT, i, k);
}

// NaN by its bits: a compiler may assume `x != x` is false.
fn is_nan(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

fn nan() -> f32 {
    return bitcast<f32>(0x7fc00000u);
}

fn inf() -> f32 {
    return bitcast<f32>(0x7f800000u);
}

// x ** y as C's powf: WGSL's pow is undefined for x < 0 and for 0 ** 0.
fn powf(x: f32, y: f32) -> f32 {
    if (y == 0.0) {
        return 1.0;
    }
    if (y == 1.0) {
        return x;
    }
    if (y == 2.0) {
        return x * x;
    }
    if (y == 0.5 && x >= 0.0) {
        return sqrt(x);
    }
    if (is_nan(x) || is_nan(y)) {
        return nan();
    }
    if (x == 0.0) {
        return select(inf(), 0.0, y > 0.0);
    }
    let m = pow(abs(x), y);
    if (x > 0.0) {
        return m;
    }
    if (floor(y) != y) {
        return nan();
    }
    let odd = abs(y) < 16777216.0 && (i32(abs(y)) & 1) == 1;
    return select(m, -m, odd);
}

// tanh saturates at |x| = 10 in f32; some drivers return NaN for large |x|.
fn tanh_f32(x: f32) -> f32 {
    if (is_nan(x)) {
        return x;
    }
    return tanh(clamp(x, -10.0, 10.0));
}

// erf as the CPU computes it: a series of positive terms below 3 (no cancellation), the
// continued fraction of erfc up to 6.5, and 1 beyond.
fn erf_f32(x: f32) -> f32 {
    if (is_nan(x)) {
        return x;
    }
    let a = abs(x);
    var r = 1.0;
    if (a < 3.0) {
        var term = a;
        var sum = a;
        for (var k = 1.0; k < 200.0; k += 1.0) {
            term *= 2.0 * a * a / (2.0 * k + 1.0);
            sum += term;
            if (term <= sum * 1e-9) {
                break;
            }
        }
        r = 1.1283791670955126 * exp(-a * a) * sum;
    } else if (a < 6.5) {
        var f = a;
        for (var k = 60.0; k >= 1.0; k -= 1.0) {
            f = a + (k / 2.0) / f;
        }
        r = 1.0 - exp(-a * a) / 1.7724538509055159 / f;
    }
    return select(r, -r, x < 0.0);
}

// Integer powers with wrapping products, as the CPU's `wrapping_pow(e as u32)`.
fn ipow(x: i64, e: i64) -> i64 {
    var r = 1li;
    var b = x;
    var k = u32(e & 0xffffffffli);
    for (var n = 0; n < 32 && k > 0u; n++) {
        if ((k & 1u) == 1u) {
            r = r * b;
        }
        b = b * b;
        k = k >> 1u;
    }
    return r;
}

fn upow(x: u32, e: u32) -> u32 {
    var r = 1u;
    var b = x;
    var k = e;
    for (var n = 0; n < 32 && k > 0u; n++) {
        if ((k & 1u) == 1u) {
            r = r * b;
        }
        b = b * b;
        k = k >> 1u;
    }
    return r & 255u;
}
