//! The command-line flags, parsed by clap.
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "firelight",
    version,
    about = "Train, evaluate and use the tutorial's MNIST models (PyTorch's \"What is torch.nn really?\")"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Train a model; writes a run folder with checkpoint, metrics, config and a curve plot.
    Fit(FitArgs),
    /// Loss, accuracy, per-class accuracy and confusion matrix of a trained model.
    Eval(EvalArgs),
    /// Classify PNG/JPEG digit pictures with a trained model.
    Predict(PredictArgs),
    /// Summarise the data set and draw its first digits.
    Data(DataArgs),
    /// Time the tutorial's workloads and a few tensor ops.
    Bench(BenchArgs),
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptimizerKind {
    Sgd,
    Adam,
    Adamw,
}

impl OptimizerKind {
    pub fn name(self) -> &'static str {
        match self {
            OptimizerKind::Sgd => "sgd",
            OptimizerKind::Adam => "adam",
            OptimizerKind::Adamw => "adamw",
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceKind {
    Cpu,
    Gpu,
}

impl DeviceKind {
    /// The device, or one line saying why the GPU cannot be used (no adapter, no driver,
    /// or a build without the gpu feature).
    pub fn open(self) -> crate::error::Result<firelight::Device> {
        match self {
            DeviceKind::Cpu => Ok(firelight::Device::Cpu),
            DeviceKind::Gpu => {
                firelight::Device::gpu(0).map_err(|e| crate::fail!("--device gpu: {e}"))
            }
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DeviceKind::Cpu => "cpu",
            DeviceKind::Gpu => "gpu",
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    Valid,
    Test,
}

#[derive(Args, Debug, Clone)]
#[command(
    after_help = "Defaults follow the tutorial: cnn trains with SGD lr 0.1 momentum 0.9; \
logistic and mlp with SGD lr 0.5 (logistic, as in the tutorial) / 0.1 (mlp), no momentum; \
adam and adamw: lr 0.001 (PyTorch's default), adamw with weight decay 0.01; \
batch size 64, 2 epochs, seed 0.\n\
Measured on MNIST (2 epochs, seed 0, valid accuracy): adam at lr 0.001 gives mlp 0.960 \
(SGD 0.946) and logistic 0.919 (SGD 0.921), but the tutorial's cnn only 0.777 (0.734 at \
lr 0.003, 0.832 at 0.01) where SGD reaches 0.925: train the cnn with sgd.\n\
Ctrl-C stops after the current batch: that epoch is abandoned, the finished ones stay in \
the run folder, one line gives the --resume command, and the exit status is 130. A second \
Ctrl-C stops at once.\n\
Without --data, the repository's data/mnist/mnist.pkl.gz is used (or $FIRELIGHT_DATA); \
when it is missing it is downloaded from the tutorial's URL and checked by sha256."
)]
pub struct FitArgs {
    /// Model to train: logistic, mlp or cnn [default: cnn].
    #[arg(long)]
    pub model: Option<String>,
    /// Number of epochs (with --resume: the total to reach).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub epochs: Option<u32>,
    /// Examples per batch [default: 64].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub batch_size: Option<u32>,
    /// Learning rate [default: SGD 0.1 for cnn and mlp, 0.5 for logistic; 0.001 for adam/adamw].
    #[arg(long, allow_negative_numbers = true)]
    pub lr: Option<f64>,
    /// SGD momentum [default: 0.9 for cnn, 0 otherwise].
    #[arg(long, allow_negative_numbers = true)]
    pub momentum: Option<f64>,
    /// Optimizer [default: sgd].
    #[arg(long, value_enum)]
    pub optimizer: Option<OptimizerKind>,
    /// Weight decay [default: 0, or 0.01 for adamw].
    #[arg(long, allow_negative_numbers = true)]
    pub weight_decay: Option<f64>,
    /// Seed for initialisation and shuffling [default: 0].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Folder holding mnist.pkl.gz or the four MNIST IDX files.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Device to train on (gpu: the first GPU wgpu finds, in builds with the gpu feature).
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: DeviceKind,
    /// Threads that fetch batches [default: 0, in the training thread]; results do not depend on it.
    #[arg(long, value_name = "N")]
    pub workers: Option<u32>,
    /// Run folder [default: runs/<model>-<timestamp>].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Continue the run in DIR from its last completed epoch, with its settings.
    #[arg(long, value_name = "DIR", conflicts_with = "out")]
    pub resume: Option<PathBuf>,
    /// Print one JSON object per epoch instead of progress bars and text.
    #[arg(long)]
    pub json: bool,
    /// Use only the first N training and validation examples (for quick trials and tests).
    #[arg(long, value_name = "N", hide = true, value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,
}

/// Where `eval` and `predict` take their trained model from.
#[derive(Args, Debug)]
#[command(group = clap::ArgGroup::new("source").required(true).args(["run", "checkpoint"]))]
pub struct ModelSource {
    /// Run folder written by `firelight fit`.
    #[arg(long, value_name = "DIR")]
    pub run: Option<PathBuf>,
    /// A model.safetensors file (the model is recognised from its tensors, or given by --model).
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// Model of the checkpoint, when it should be checked rather than recognised or read
    /// from the run.
    #[arg(long)]
    pub model: Option<String>,
}

#[derive(Args, Debug)]
pub struct EvalArgs {
    #[command(flatten)]
    pub source: ModelSource,
    /// Split to evaluate. IDX data has no validation file: valid is the last 10,000 training images.
    #[arg(long, value_enum, default_value = "valid")]
    pub split: Split,
    /// Folder holding mnist.pkl.gz or the four MNIST IDX files [default: the run's data].
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Device to evaluate on.
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: DeviceKind,
    /// Print JSON instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Evaluate only the first N examples of the split.
    #[arg(long, value_name = "N", hide = true, value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,
}

#[derive(Args, Debug)]
#[command(
    after_help = "Each picture that cannot be read is reported on its own `error:` line; the \
others are still classified, and the exit status is then 1."
)]
pub struct PredictArgs {
    #[command(flatten)]
    pub source: ModelSource,
    /// PNG or JPEG pictures of single digits, any size.
    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<PathBuf>,
    /// Device to run the model on.
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: DeviceKind,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct DataArgs {
    /// Folder holding mnist.pkl.gz or the four MNIST IDX files.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Draw the first N training digits in a grid (needs --out).
    #[arg(long, value_name = "N", requires = "out", value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub show: Option<u32>,
    /// With --show, start at training image K (0-based) instead of the first.
    #[arg(long, value_name = "K", default_value_t = 0, requires = "show")]
    pub start: u32,
    /// PNG file for --show.
    #[arg(long, value_name = "FILE.png", requires = "show")]
    pub out: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Folder holding mnist.pkl.gz or the four MNIST IDX files.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Train and validate on only the first N examples (times are then per N, not per epoch).
    #[arg(long, value_name = "N", hide = true, value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,
    /// Training epochs per model: the first is reported alone, the later ones as their mean.
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub epochs: u32,
    /// CPU threads (like torch.set_num_threads); default one per core.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: Option<u32>,
}
