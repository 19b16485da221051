//! MNIST as the tutorial uses it: 50,000 training, 10,000 validation and 10,000 test images,
//! read from the tutorial's `mnist.pkl.gz` or from the four original IDX files.
//!
//! Both sources give identical arrays: images as f32 `[N, 784]` holding `pixel / 256`
//! (exactly, as the tutorial's file does), labels as i64 `[N]`; the IDX training file is split
//! into its first 50,000 images for training and its last 10,000 for validation, which is how
//! the tutorial's file was made.
use std::path::{Path, PathBuf};

use crate::io::{Array, ArrayData, PickleValue, load_idx, load_pickle_gz};
use crate::{Error, Result, Tensor};

/// The tutorial's pickle, preferred when present.
const PICKLE: &str = "mnist.pkl.gz";

/// The IDX files by their canonical names; each may also end in `.gz`, and may spell `-idx`
/// as `.idx` (as the uncompressed files from some mirrors do).
const TRAIN_IMAGES: &str = "train-images-idx3-ubyte";
const TRAIN_LABELS: &str = "train-labels-idx1-ubyte";
const TEST_IMAGES: &str = "t10k-images-idx3-ubyte";
const TEST_LABELS: &str = "t10k-labels-idx1-ubyte";

/// Images per split taken from the end of the IDX training file for validation.
const VALID_COUNT: usize = 10_000;

const SIDE: usize = 28;
const PIXELS: usize = SIDE * SIDE;

/// The six MNIST arrays in the tutorial's split, before they become tensors.
///
/// `x_*` are f32 `[N, 784]` with values `pixel / 256`; `y_*` are i64 `[N]` with digits 0 to 9.
#[derive(Clone, Debug, PartialEq)]
pub struct MnistArrays {
    /// Training images, `[50000, 784]` for the real data.
    pub x_train: Array,
    /// Training labels, `[50000]`.
    pub y_train: Array,
    /// Validation images, `[10000, 784]`.
    pub x_valid: Array,
    /// Validation labels, `[10000]`.
    pub y_valid: Array,
    /// Test images, `[10000, 784]`.
    pub x_test: Array,
    /// Test labels, `[10000]`.
    pub y_test: Array,
}

/// MNIST as tensors in the tutorial's split: `x_*` f32 `[N, 784]` holding `pixel / 256`,
/// `y_*` int64 `[N]`.
///
/// ```no_run
/// let mnist = firelight::datasets::Mnist::load("data/mnist")?;
/// assert_eq!(mnist.x_train.shape(), &[50000, 784]);
/// # Ok::<(), firelight::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Mnist {
    /// Training images, `[50000, 784]` for the real data.
    pub x_train: Tensor,
    /// Training labels, `[50000]`.
    pub y_train: Tensor,
    /// Validation images, `[10000, 784]`.
    pub x_valid: Tensor,
    /// Validation labels, `[10000]`.
    pub y_valid: Tensor,
    /// Test images, `[10000, 784]`.
    pub x_test: Tensor,
    /// Test labels, `[10000]`.
    pub y_test: Tensor,
}

impl Mnist {
    /// Loads MNIST from `dir` (see [`load_arrays`] for the files it looks for); the arrays
    /// become tensors without a copy.
    ///
    /// ```
    /// let e = firelight::datasets::Mnist::load("/no/such/folder").unwrap_err();
    /// assert!(e.to_string().contains("mnist.pkl.gz"));
    /// ```
    pub fn load(dir: impl AsRef<Path>) -> Result<Mnist> {
        let a = load_arrays(dir)?;
        Ok(Mnist {
            x_train: a.x_train.into(),
            y_train: a.y_train.into(),
            x_valid: a.x_valid.into(),
            y_valid: a.y_valid.into(),
            x_test: a.x_test.into(),
            y_test: a.y_test.into(),
        })
    }
}

/// Loads MNIST from `dir`: `dir/mnist.pkl.gz` if it exists, otherwise the four IDX files
/// (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`,
/// `t10k-labels-idx1-ubyte`, each optionally `.gz`, `-idx` also spelled `.idx`).
///
/// Shapes and labels are checked, and an error names the file at fault; if the data is not
/// there, the error lists what was looked for and where.
///
/// ```
/// let e = firelight::datasets::mnist::load_arrays("/no/such/folder").unwrap_err();
/// assert!(e.to_string().contains("mnist.pkl.gz"));
/// ```
pub fn load_arrays(dir: impl AsRef<Path>) -> Result<MnistArrays> {
    let dir = dir.as_ref();
    let pickle = dir.join(PICKLE);
    if pickle.is_file() {
        return from_pickle(&pickle);
    }
    from_idx(dir)
}

/// Where MNIST is looked for by default: `$FIRELIGHT_DATA` if set, else `data/mnist` in the
/// crate's folder if that exists, else `data/mnist` relative to the working directory.
///
/// ```
/// let dir = firelight::datasets::mnist::data_dir();
/// assert!(dir.ends_with("data/mnist") || std::env::var_os("FIRELIGHT_DATA").is_some());
/// ```
pub fn data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("FIRELIGHT_DATA").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let in_crate = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist");
    if in_crate.exists() {
        in_crate
    } else {
        PathBuf::from("data/mnist")
    }
}

fn from_pickle(path: &Path) -> Result<MnistArrays> {
    let bad =
        |what: String| Error::format(path, format!("not the tutorial's MNIST layout: {what}"));
    let splits = load_pickle_gz(path)?
        .into_items()
        .filter(|s| s.len() == 3)
        .ok_or_else(|| bad("expected a tuple of 3 (x, y) pairs".into()))?;
    let mut arrays = Vec::with_capacity(6);
    for (split, name) in splits.into_iter().zip(["train", "valid", "test"]) {
        let pair = split.into_items().filter(|p| p.len() == 2);
        let pair = pair.ok_or_else(|| bad(format!("the {name} split is not an (x, y) pair")))?;
        let [x, y] = <[PickleValue; 2]>::try_from(pair).expect("checked length 2");
        let x = x
            .into_array()
            .ok_or_else(|| bad(format!("x_{name} is not a numpy array")))?;
        let y = y
            .into_array()
            .ok_or_else(|| bad(format!("y_{name} is not a numpy array")))?;
        check_pickled_split(path, name, &x, &y)?;
        arrays.extend([x, y]);
    }
    let [x_train, y_train, x_valid, y_valid, x_test, y_test] =
        <[Array; 6]>::try_from(arrays).expect("three pairs");
    Ok(MnistArrays {
        x_train,
        y_train,
        x_valid,
        y_valid,
        x_test,
        y_test,
    })
}

fn check_pickled_split(path: &Path, name: &str, x: &Array, y: &Array) -> Result<()> {
    let fail = |msg: String| Err(Error::format(path, msg));
    if x.data.as_f32().is_none() || x.shape.len() != 2 || x.shape[1] != PIXELS {
        return fail(format!(
            "x_{name} should be float32 of shape [N, {PIXELS}], found {} of shape {:?}",
            x.data.dtype_name(),
            x.shape
        ));
    }
    let Some(labels) = y.data.as_i64() else {
        return fail(format!(
            "y_{name} should be int64, found {}",
            y.data.dtype_name()
        ));
    };
    if y.shape != [x.shape[0]] {
        return fail(format!(
            "y_{name} should have shape [{}] to match x_{name}, found {:?}",
            x.shape[0], y.shape
        ));
    }
    if let Some((i, bad)) = labels
        .iter()
        .enumerate()
        .find(|&(_, &l)| !(0..=9).contains(&l))
    {
        return fail(format!("y_{name}[{i}] is {bad}, not a digit 0 to 9"));
    }
    Ok(())
}

fn from_idx(dir: &Path) -> Result<MnistArrays> {
    let names = [TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS];
    let found: Vec<Option<PathBuf>> = names.iter().map(|n| find_idx(dir, n)).collect();
    if found.iter().any(Option::is_none) {
        return Err(not_found(dir, &names, &found));
    }
    let [train_images, train_labels, test_images, test_labels] =
        <[Option<PathBuf>; 4]>::try_from(found)
            .expect("four names")
            .map(Option::unwrap);

    let (train_x, train_y) = load_idx_pair(&train_images, &train_labels)?;
    let n = train_y.len();
    if n <= VALID_COUNT {
        return Err(Error::format(
            &train_labels,
            format!(
                "has {n} training examples; the tutorial's split needs more than {VALID_COUNT}"
            ),
        ));
    }
    let split = n - VALID_COUNT;
    let (test_x, test_y) = load_idx_pair(&test_images, &test_labels)?;
    Ok(MnistArrays {
        x_train: images(&train_x[..split * PIXELS]),
        y_train: labels(&train_y[..split]),
        x_valid: images(&train_x[split * PIXELS..]),
        y_valid: labels(&train_y[split..]),
        x_test: images(&test_x),
        y_test: labels(&test_y),
    })
}

/// The first of `name`, `name.gz`, and the same with `.idx` for `-idx`, that exists in `dir`.
fn find_idx(dir: &Path, name: &str) -> Option<PathBuf> {
    let dotted = name.replace("-idx", ".idx");
    [
        name.to_string(),
        format!("{name}.gz"),
        dotted.clone(),
        format!("{dotted}.gz"),
    ]
    .iter()
    .map(|n| dir.join(n))
    .find(|p| p.is_file())
}

fn not_found(dir: &Path, names: &[&str], found: &[Option<PathBuf>]) -> Error {
    let missing: Vec<String> = names
        .iter()
        .zip(found)
        .filter(|(_, f)| f.is_none())
        .map(|(n, _)| format!("{n}[.gz]"))
        .collect();
    let msg = format!(
        "no MNIST data here: looked for {PICKLE}, or the four IDX files {TRAIN_IMAGES}[.gz], \
         {TRAIN_LABELS}[.gz], {TEST_IMAGES}[.gz], {TEST_LABELS}[.gz] (missing: {}); set \
         FIRELIGHT_DATA or pass the folder that holds them",
        missing.join(", ")
    );
    Error::io(dir, std::io::Error::new(std::io::ErrorKind::NotFound, msg))
}

/// Loads an images file and its labels file and checks that they describe the same examples.
fn load_idx_pair(images_path: &Path, labels_path: &Path) -> Result<(Vec<u8>, Vec<u8>)> {
    let images = load_idx(images_path)?;
    let labels = load_idx(labels_path)?;
    let ArrayData::U8(pixels) = images.data else {
        return Err(Error::format(
            images_path,
            format!("images should be uint8, found {}", images.data.dtype_name()),
        ));
    };
    if images.shape.len() != 3 || images.shape[1..] != [SIDE, SIDE] {
        return Err(Error::format(
            images_path,
            format!(
                "images should have shape [N, {SIDE}, {SIDE}], found {:?}",
                images.shape
            ),
        ));
    }
    let ArrayData::U8(digits) = labels.data else {
        return Err(Error::format(
            labels_path,
            format!("labels should be uint8, found {}", labels.data.dtype_name()),
        ));
    };
    if labels.shape.len() != 1 {
        return Err(Error::format(
            labels_path,
            format!("labels should have shape [N], found {:?}", labels.shape),
        ));
    }
    if labels.shape[0] != images.shape[0] {
        return Err(Error::format(
            labels_path,
            format!(
                "has {} labels but {} has {} images",
                labels.shape[0],
                images_path.display(),
                images.shape[0]
            ),
        ));
    }
    if let Some((i, bad)) = digits.iter().enumerate().find(|&(_, &d)| d > 9) {
        return Err(Error::format(
            labels_path,
            format!("label {i} is {bad}, not a digit 0 to 9"),
        ));
    }
    Ok((pixels, digits))
}

/// Images as the tutorial's file stores them: `pixel / 256`, one row of 784 per image.
fn images(pixels: &[u8]) -> Array {
    let data: Vec<f32> = pixels.iter().map(|&p| p as f32 / 256.0).collect();
    Array {
        shape: vec![pixels.len() / PIXELS, PIXELS],
        data: ArrayData::F32(data),
    }
}

fn labels(digits: &[u8]) -> Array {
    let data: Vec<i64> = digits.iter().map(|&d| i64::from(d)).collect();
    Array {
        shape: vec![digits.len()],
        data: ArrayData::I64(data),
    }
}
