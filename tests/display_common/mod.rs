//! What PyTorch prints, from tests/fixtures/display/expected.txt (written by
//! tools/make_display_fixtures.py), and helpers to build the same tensors.
#![allow(dead_code)]
use firelight::{PrintOptions, Tensor, set_printoptions};
use std::collections::BTreeMap;

const FIXTURE: &str = include_str!("../fixtures/display/expected.txt");

/// Case name -> the text PyTorch printed for it.
pub fn expected() -> BTreeMap<&'static str, &'static str> {
    let mut cases = BTreeMap::new();
    let mut current: Option<(&str, usize)> = None;
    let mut offset = 0;
    let close = |cases: &mut BTreeMap<_, _>, current: Option<(&'static str, usize)>, end| {
        if let Some((name, start)) = current {
            let text: &str = &FIXTURE[start..end];
            cases.insert(name, text.strip_suffix('\n').unwrap_or(text));
        }
    };
    for line in FIXTURE.split_inclusive('\n') {
        if let Some(name) = line.strip_prefix("=== ") {
            close(&mut cases, current, offset);
            current = Some((name.trim_end(), offset + line.len()));
        }
        offset += line.len();
    }
    close(&mut cases, current, FIXTURE.len());
    cases
}

/// Checks `format!("{}")` and `format!("{:?}")` of each built tensor, printed under the
/// given options (restored to the defaults after), against the fixture, reporting every
/// mismatch at once; and checks that the cases are exactly the fixture's cases whose names
/// `keep` accepts.
pub fn check_all(cases: &[(&str, PrintOptions, fn() -> Tensor)], keep: impl Fn(&str) -> bool) {
    let expected = expected();
    let mut failures = Vec::new();
    for (name, options, build) in cases {
        let want = *expected
            .get(name)
            .unwrap_or_else(|| panic!("no case {name} in the fixture"));
        let t = build();
        set_printoptions(*options);
        let (got, debug) = (format!("{t}"), format!("{t:?}"));
        set_printoptions(PrintOptions::default());
        if got != want {
            failures.push(format!("--- {name}: expected\n{want}\n--- got\n{got}\n"));
        }
        assert_eq!(debug, got, "Debug differs from Display for {name}");
    }
    let mut missing: Vec<&str> = expected.keys().copied().filter(|n| keep(n)).collect();
    missing.retain(|n| !cases.iter().any(|(c, _, _)| c == n));
    assert!(
        missing.is_empty(),
        "fixture cases not built here: {missing:?}"
    );
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from PyTorch:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// An f32 tensor from f64 values, rounded once as `torch.tensor([...])` does.
pub fn f32s(values: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_vec(values.iter().map(|&v| v as f32).collect(), shape)
}

/// `torch.arange(n, dtype=torch.float32)`.
pub fn arange_f32(n: i64) -> Tensor {
    Tensor::arange(n).float()
}
