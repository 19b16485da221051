//! Reading PNG/JPEG pictures as grayscale, turning a digit picture into an MNIST-like
//! 28x28 image, and writing grayscale PNGs.
use std::io::{BufReader, BufWriter};
use std::path::Path;

use crate::error::{Result, io_err};
use crate::fail;

/// The most pixels a picture may have: 100 megapixels, checked against the header before
/// anything is decoded (an MNIST digit has 784). Reading one that large takes about 1 GB.
pub const MAX_PIXELS: u64 = 100_000_000;

/// What the PNG decoder may allocate besides the picture itself (row buffers, text and
/// colour-profile chunks): the png crate's own default, made explicit.
const PNG_DECODER_BYTES: usize = 64 << 20;

/// Refuses a picture larger than [`MAX_PIXELS`] before its pixels are allocated.
fn check_size(width: u64, height: u64) -> std::result::Result<(), String> {
    if width.saturating_mul(height) > MAX_PIXELS {
        return Err(format!(
            "it is {width}x{height} pixels, more than the {} megapixels a picture may have",
            MAX_PIXELS / 1_000_000
        ));
    }
    Ok(())
}

/// A grayscale picture, row-major, values in [0, 1] (0 = black).
pub struct Gray {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<f32>,
}

/// Decodes a PNG or JPEG (by content, not by name) to grayscale; transparent pixels are
/// taken as white paper, since a drawn digit's background is usually transparent.
pub fn read_gray(path: &Path) -> Result<Gray> {
    let bytes = std::fs::read(path).map_err(|e| io_err("read image", path, e))?;
    let unreadable =
        |e: &dyn std::fmt::Display| fail!("cannot decode image {}: {e}", path.display());
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        guarded("PNG", || decode_png(&bytes)).map_err(|e| unreadable(&e))
    } else if bytes.starts_with(&[0xFF, 0xD8]) {
        guarded("JPEG", || decode_jpeg(&bytes)).map_err(|e| unreadable(&e))
    } else {
        Err(fail!("{} is not a PNG or JPEG image", path.display()))
    }
}

/// Runs a decoder from another crate, turning a panic of its own into an error: a picture
/// must not take the command down. (png 0.17 panics on a palette that is not whole RGB
/// entries or has more than 256, image-rs/image-png#694; `decode_png` refuses those first,
/// with its own message.)
fn guarded(
    format: &str,
    decode: impl FnOnce() -> std::result::Result<Gray, String>,
) -> std::result::Result<Gray, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(decode)).unwrap_or_else(|panic| {
        let msg = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("no message");
        Err(format!("the {format} decoder failed on it ({msg})"))
    })
}

fn luma(r: u8, g: u8, b: u8) -> f32 {
    (0.299 * f32::from(r) + 0.587 * f32::from(g) + 0.114 * f32::from(b)) / 255.0
}

fn over_white(v: f32, alpha: u8) -> f32 {
    let a = f32::from(alpha) / 255.0;
    v * a + (1.0 - a)
}

fn decode_png(bytes: &[u8]) -> std::result::Result<Gray, String> {
    let limits = png::Limits {
        bytes: PNG_DECODER_BYTES,
    };
    let mut decoder = png::Decoder::new_with_limits(bytes, limits);
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
    let (width, height) = reader.info().size();
    check_size(width.into(), height.into())?;
    if let Some(palette) = &reader.info().palette
        && (palette.len() % 3 != 0 || palette.len() > 3 * 256)
    {
        return Err(format!(
            "its palette (PLTE) has {} bytes, not whole RGB entries of at most 256 colours",
            palette.len()
        ));
    }
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
    let data = &buf[..info.buffer_size()];
    use png::ColorType as C;
    let pixels: Vec<f32> = match info.color_type {
        C::Grayscale => data.iter().map(|&v| f32::from(v) / 255.0).collect(),
        C::GrayscaleAlpha => data
            .chunks_exact(2)
            .map(|p| over_white(f32::from(p[0]) / 255.0, p[1]))
            .collect(),
        C::Rgb => data
            .chunks_exact(3)
            .map(|p| luma(p[0], p[1], p[2]))
            .collect(),
        C::Rgba => data
            .chunks_exact(4)
            .map(|p| over_white(luma(p[0], p[1], p[2]), p[3]))
            .collect(),
        C::Indexed => return Err("indexed colours were not expanded".into()),
    };
    Ok(Gray {
        width: info.width as usize,
        height: info.height as usize,
        pixels,
    })
}

fn decode_jpeg(bytes: &[u8]) -> std::result::Result<Gray, String> {
    let mut decoder = jpeg_decoder::Decoder::new(BufReader::new(bytes));
    decoder.read_info().map_err(|e| e.to_string())?;
    let info = decoder.info().ok_or("no image information")?;
    check_size(info.width.into(), info.height.into())?;
    // The decoder's own check, for a frame its header did not describe (CMYK is 4 bytes a
    // pixel).
    decoder.set_max_decoding_buffer_size(4 * MAX_PIXELS as usize);
    let data = decoder.decode().map_err(|e| e.to_string())?;
    let info = decoder.info().ok_or("no image information")?;
    use jpeg_decoder::PixelFormat as P;
    let pixels: Vec<f32> = match info.pixel_format {
        P::L8 => data.iter().map(|&v| f32::from(v) / 255.0).collect(),
        P::L16 => data
            .chunks_exact(2)
            .map(|p| f32::from(u16::from_be_bytes([p[0], p[1]])) / 65535.0)
            .collect(),
        P::RGB24 => data
            .chunks_exact(3)
            .map(|p| luma(p[0], p[1], p[2]))
            .collect(),
        P::CMYK32 => data
            .chunks_exact(4)
            .map(|p| {
                let k = 255 - u16::from(p[3]);
                let c = |v: u8| ((255 - u16::from(v)) * k / 255) as u8;
                luma(c(p[0]), c(p[1]), c(p[2]))
            })
            .collect(),
    };
    Ok(Gray {
        width: usize::from(info.width),
        height: usize::from(info.height),
        pixels,
    })
}

/// MNIST's preparation of a digit: white ink on black, the ink's bounding box scaled to fit
/// 20x20 keeping its aspect ratio, placed in 28x28 with its centre of mass at the centre,
/// then quantised to bytes and scaled by 1/256 as the tutorial's mnist.pkl.gz is.
///
/// The picture's pixels are reworked in place, so that a large picture is held only once.
pub fn to_mnist(img: Gray, path: &Path) -> Result<Vec<f32>> {
    let (w, h) = (img.width, img.height);
    if w == 0 || h == 0 {
        return Err(fail!("image {} is empty", path.display()));
    }
    let mut ink = img.pixels;
    let border: Vec<f32> = (0..w)
        .flat_map(|x| [ink[x], ink[(h - 1) * w + x]])
        .chain((0..h).flat_map(|y| [ink[y * w], ink[y * w + w - 1]]))
        .collect();
    let mut bg = border.iter().sum::<f32>() / border.len() as f32;
    // Digits on light paper are dark ink: invert so that ink is bright, as in MNIST.
    if bg > 0.5 {
        ink.iter_mut().for_each(|v| *v = 1.0 - *v);
        bg = 1.0 - bg;
    }
    let max = ink.iter().copied().fold(0.0f32, f32::max);
    if max - bg < 0.1 {
        return Err(fail!(
            "image {} shows no digit (it is blank)",
            path.display()
        ));
    }
    // Background level to 0 and strongest ink to 1, so grey paper and pale ink still work.
    ink.iter_mut()
        .for_each(|v| *v = ((*v - bg) / (max - bg)).clamp(0.0, 1.0));
    let on = |v: f32| v > 0.2;
    let (mut x0, mut y0, mut x1, mut y1) = (w, h, 0, 0);
    for y in 0..h {
        for x in 0..w {
            if on(ink[y * w + x]) {
                (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x + 1), y1.max(y + 1));
            }
        }
    }
    let (bw, bh) = (x1 - x0, y1 - y0);
    let scale = 20.0 / bw.max(bh) as f64;
    let nw = ((bw as f64 * scale).round() as usize).clamp(1, 20);
    let nh = ((bh as f64 * scale).round() as usize).clamp(1, 20);
    let patch = resample(&ink, w, (x0, y0, bw, bh), nw, nh);

    let mass: f64 = patch.iter().map(|&v| f64::from(v)).sum();
    let (mut cx, mut cy) = (0.0f64, 0.0f64);
    for y in 0..nh {
        for x in 0..nw {
            let v = f64::from(patch[y * nw + x]);
            cx += v * x as f64;
            cy += v * y as f64;
        }
    }
    let (cx, cy) = (cx / mass.max(1e-12), cy / mass.max(1e-12));
    let ox = ((14.0 - cx).round().max(0.0) as usize).min(28 - nw);
    let oy = ((14.0 - cy).round().max(0.0) as usize).min(28 - nh);
    let mut out = vec![0.0f32; 784];
    for y in 0..nh {
        for x in 0..nw {
            let byte = (patch[y * nw + x] * 255.0).round().clamp(0.0, 255.0);
            out[(oy + y) * 28 + ox + x] = byte / 256.0;
        }
    }
    Ok(out)
}

/// Area-weighted resampling of the `(x0, y0, bw, bh)` box of `src` to `nw` x `nh`: each
/// output pixel averages the source area it covers, which neither aliases thin strokes
/// when shrinking nor invents detail when growing.
fn resample(
    src: &[f32],
    stride: usize,
    bx: (usize, usize, usize, usize),
    nw: usize,
    nh: usize,
) -> Vec<f32> {
    let (x0, y0, bw, bh) = bx;
    let (sx, sy) = (bw as f64 / nw as f64, bh as f64 / nh as f64);
    let mut out = vec![0.0f32; nw * nh];
    for ty in 0..nh {
        let (fy0, fy1) = (ty as f64 * sy, (ty + 1) as f64 * sy);
        for tx in 0..nw {
            let (fx0, fx1) = (tx as f64 * sx, (tx + 1) as f64 * sx);
            let mut acc = 0.0f64;
            for y in fy0.floor() as usize..(fy1.ceil() as usize).min(bh) {
                let wy = (fy1.min(y as f64 + 1.0) - fy0.max(y as f64)).max(0.0);
                for x in fx0.floor() as usize..(fx1.ceil() as usize).min(bw) {
                    let wx = (fx1.min(x as f64 + 1.0) - fx0.max(x as f64)).max(0.0);
                    acc += wx * wy * f64::from(src[(y0 + y) * stride + x0 + x]);
                }
            }
            out[ty * nw + tx] = (acc / (sx * sy)) as f32;
        }
    }
    out
}

/// Writes 8-bit grayscale pixels as a PNG.
pub fn write_gray_png(path: &Path, width: usize, height: usize, pixels: &[u8]) -> Result<()> {
    let file = std::fs::File::create(path).map_err(|e| io_err("write", path, e))?;
    let mut enc = png::Encoder::new(BufWriter::new(file), width as u32, height as u32);
    enc.set_color(png::ColorType::Grayscale);
    enc.set_depth(png::BitDepth::Eight);
    let fail_png = |e: png::EncodingError| fail!("cannot write {}: {e}", path.display());
    let mut writer = enc.write_header().map_err(fail_png)?;
    writer.write_image_data(pixels).map_err(fail_png)?;
    writer.finish().map_err(fail_png)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dark bar on white paper, off-centre in a large picture.
    fn bar_on_paper() -> Gray {
        let (w, h) = (100, 80);
        let mut pixels = vec![1.0f32; w * h];
        for y in 10..50 {
            for x in 10..20 {
                pixels[y * w + x] = 0.0;
            }
        }
        Gray {
            width: w,
            height: h,
            pixels,
        }
    }

    #[test]
    fn digit_on_paper_becomes_white_on_black_20px_tall_and_centred() {
        let out = to_mnist(bar_on_paper(), Path::new("bar.png")).unwrap();
        let rows: Vec<usize> = (0..28)
            .filter(|y| (0..28).any(|x| out[y * 28 + x] > 0.5))
            .collect();
        assert_eq!(rows.len(), 20, "the tall side fills 20 pixels");
        let mass: f32 = out.iter().sum();
        let cx: f32 = (0..784).map(|i| out[i] * (i % 28) as f32).sum::<f32>() / mass;
        let cy: f32 = (0..784).map(|i| out[i] * (i / 28) as f32).sum::<f32>() / mass;
        assert!(
            (cx - 14.0).abs() <= 1.0 && (cy - 14.0).abs() <= 1.0,
            "{cx} {cy}"
        );
        assert_eq!(out.iter().copied().fold(0.0, f32::max), 255.0 / 256.0);
        assert_eq!(out[0], 0.0, "background is black");
    }

    #[test]
    fn blank_picture_is_an_error() {
        let img = Gray {
            width: 5,
            height: 5,
            pixels: vec![1.0; 25],
        };
        assert!(
            to_mnist(img, Path::new("x.png"))
                .unwrap_err()
                .0
                .contains("blank")
        );
    }
}
