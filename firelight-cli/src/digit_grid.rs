//! The picture `data --show` draws: training digits, enlarged, each with its label under it
//! in a built-in bitmap font (no font crate for ten glyphs).

/// How much a 28x28 digit is enlarged in a grid: 112 pixels, big enough to read at a glance.
pub const SCALE: usize = 4;
/// Space between and around the digits.
pub const GAP: usize = 8;
/// The band under each digit that holds its label: a 5-row glyph at 4x with a margin.
pub const LABEL_BAND: usize = 28;
/// Digits a row.
pub const COLS: usize = 10;
const CELL: usize = 28 * SCALE;
/// Light page, black ink for the labels: the digits themselves stay white on black.
const PAGE: u8 = 235;
const INK: u8 = 0;
/// Each pixel of a glyph is drawn as a `GLYPH_SCALE`-wide square.
const GLYPH_SCALE: usize = 4;

/// Digits 0-9, 3x5 pixels, one row of three bits per entry (the tests read labels back
/// with the same font).
pub const FONT: [[u8; 5]; 10] = [
    [0b111, 0b101, 0b101, 0b101, 0b111],
    [0b010, 0b110, 0b010, 0b010, 0b111],
    [0b111, 0b001, 0b111, 0b100, 0b111],
    [0b111, 0b001, 0b111, 0b001, 0b111],
    [0b101, 0b101, 0b111, 0b001, 0b001],
    [0b111, 0b100, 0b111, 0b001, 0b111],
    [0b111, 0b100, 0b111, 0b101, 0b111],
    [0b111, 0b001, 0b010, 0b010, 0b010],
    [0b111, 0b101, 0b111, 0b101, 0b111],
    [0b111, 0b101, 0b111, 0b001, 0b111],
];

/// One digit: its own 28x28 picture, unlabelled and unscaled, exactly the data's pixels,
/// which is what `predict` reads back. Several: a labelled grid of up to ten a row.
/// Pixels go back to bytes as `value * 256`, undoing the data's scaling exactly.
pub fn draw(images: &[f32], labels: &[i64]) -> (usize, usize, Vec<u8>) {
    let n = labels.len();
    if n == 1 {
        return (28, 28, images[..784].iter().map(|&v| to_byte(v)).collect());
    }
    let cols = n.clamp(1, COLS);
    let rows = n.div_ceil(cols);
    let w = cols * CELL + (cols + 1) * GAP;
    let h = rows * (CELL + LABEL_BAND) + (rows + 1) * GAP;
    let mut out = vec![PAGE; w * h];
    for (i, &label) in labels.iter().enumerate() {
        let (ox, oy) = cell_origin(i, cols);
        for y in 0..CELL {
            for x in 0..CELL {
                let v = images[i * 784 + (y / SCALE) * 28 + x / SCALE];
                out[(oy + y) * w + ox + x] = to_byte(v);
            }
        }
        draw_digit(&mut out, w, label, ox, oy + CELL);
    }
    (w, h, out)
}

/// The top-left pixel of digit `i`'s picture in a grid `cols` wide.
pub fn cell_origin(i: usize, cols: usize) -> (usize, usize) {
    (
        GAP + (i % cols) * (CELL + GAP),
        GAP + (i / cols) * (CELL + LABEL_BAND + GAP),
    )
}

/// Where a label's glyph starts, relative to the band under the digit: centred across.
pub fn glyph_origin() -> (usize, usize) {
    (
        (CELL - 3 * GLYPH_SCALE) / 2,
        (LABEL_BAND - 5 * GLYPH_SCALE) / 2,
    )
}

fn draw_digit(out: &mut [u8], w: usize, label: i64, band_x: usize, band_y: usize) {
    let Some(glyph) = usize::try_from(label).ok().and_then(|d| FONT.get(d)) else {
        return; // MNIST labels are 0-9; the loader checks them.
    };
    let (gx, gy) = glyph_origin();
    for (r, bits) in glyph.iter().enumerate() {
        for c in 0..3 {
            if bits >> (2 - c) & 1 == 1 {
                for y in 0..GLYPH_SCALE {
                    for x in 0..GLYPH_SCALE {
                        let px = band_x + gx + c * GLYPH_SCALE + x;
                        let py = band_y + gy + r * GLYPH_SCALE + y;
                        out[py * w + px] = INK;
                    }
                }
            }
        }
    }
}

fn to_byte(v: f32) -> u8 {
    (v * 256.0).round().clamp(0.0, 255.0) as u8
}
