//! The fuzzer's child: reads each file it is given with one library reader, in this
//! process, and reports how each read ended on a line of its own before starting the next.
//! A panic is caught and reported; an abort or a hang ends the child, and the parent blames
//! the first file without a report.
use std::collections::HashSet;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use firelight::datasets::Mnist;
use firelight::io::{PickleValue, load_idx, load_pickle};
use firelight::nn::{self, Module, Sequential, StateDict};
use firelight::{DType, Tensor};

/// What starts each report line, so that nothing else the child prints is mistaken for one.
pub const REPORT: &str = "@fuzz";

/// The readers a child can run.
pub const ROUTES: [&str; 4] = ["pickle", "mnist", "idx", "safetensors"];

/// Reads every path with the reader `route`, reporting `@fuzz K ok|err MSG|panic MSG`.
pub fn main(route: &str, paths: &[String]) {
    assert!(ROUTES.contains(&route), "unknown route {route:?}");
    std::panic::set_hook(Box::new(|_| {}));
    let mut out = std::io::stdout().lock();
    for (k, path) in paths.iter().enumerate() {
        let result = std::panic::catch_unwind(|| read(route, Path::new(path)));
        let line = match result {
            Ok(Ok(())) => "ok".to_string(),
            Ok(Err(e)) => format!("err {}", one_line(&e)),
            Err(payload) => {
                let msg = payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "a panic without a message".into());
                format!("panic {}", one_line(&msg))
            }
        };
        writeln!(out, "{REPORT} {k} {line}").expect("report");
        out.flush().expect("report");
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One read, and what a caller would do next with the result (make tensors of arrays, load
/// a state into models), since a value that only breaks later is as bad.
fn read(route: &str, path: &Path) -> Result<(), String> {
    let e = |e: firelight::Error| e.to_string();
    match route {
        "pickle" => {
            let v = load_pickle(path).map_err(e)?;
            use_arrays(&v, &mut HashSet::new());
        }
        "mnist" => {
            let m = Mnist::load(path.parent().expect("a folder")).map_err(e)?;
            for t in [
                m.x_train, m.y_train, m.x_valid, m.y_valid, m.x_test, m.y_test,
            ] {
                touch(&t);
            }
        }
        "idx" => touch(&Tensor::from(load_idx(path).map_err(e)?)),
        _ => {
            let sd = StateDict::load(path).map_err(e)?;
            for (_, t) in sd.iter() {
                touch(t);
            }
            for model in models() {
                if model.load_state_dict(&sd).is_ok() {
                    touch(&model.forward(&Tensor::zeros(&[1, 784])));
                }
            }
        }
    }
    Ok(())
}

fn touch(t: &Tensor) {
    let _ = t.to_dtype(DType::F64).sum(..).item::<f64>();
}

/// Makes a tensor of every array in `v`, visiting each shared value once (a value may
/// share its parts so much that walking it as a tree would never end).
fn use_arrays(v: &PickleValue, seen: &mut HashSet<usize>) {
    match v {
        PickleValue::Tuple(items) | PickleValue::List(items)
            if seen.insert(Arc::as_ptr(items) as usize) =>
        {
            items.iter().for_each(|i| use_arrays(i, seen));
        }
        PickleValue::Dict(entries) if seen.insert(Arc::as_ptr(entries) as usize) => {
            for (k, v) in entries.iter() {
                use_arrays(k, seen);
                use_arrays(v, seen);
            }
        }
        PickleValue::Array(a) if seen.insert(Arc::as_ptr(a) as usize) => {
            touch(&Tensor::from((**a).clone()));
        }
        _ => {}
    }
}

/// The command's logistic and MLP models, laid out as `firelight-cli/src/models.rs` lays
/// them out so that their parameter names match its checkpoints (the CNN's are loaded by
/// the `eval-checkpoint` target, through the command).
fn models() -> [Sequential; 2] {
    [
        Sequential::new().add(nn::Linear::new(784, 10)),
        Sequential::new()
            .add(nn::Linear::new(784, 128))
            .add(nn::ReLU)
            .add(nn::Linear::new(128, 10)),
    ]
}
