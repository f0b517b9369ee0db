//! `host new NAME`: writes a collector to start from and says how to build
//! and run it.

use std::path::PathBuf;
use std::process::ExitCode;

use super::{Exit, InputError};
use crate::runtime::Scope;
use crate::starter::{self, Language};

/// `host new` flags.
#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// The collector's name (a-z, 0-9, - and _), also its folder's.
    name: String,
    /// The language to write it in.
    #[arg(long, value_enum, default_value = "rust")]
    lang: Language,
    /// How often it runs: per account and region, per account, or once.
    #[arg(long, value_enum, default_value = "regional")]
    scope: Scope,
    /// Where to write it [default: ./NAME].
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// Runs `host new`.
pub fn new(args: NewArgs) -> anyhow::Result<ExitCode> {
    let dir = args.dir.unwrap_or_else(|| PathBuf::from(&args.name));
    let base = starter::sdk_base().map_err(InputError::from)?;
    let created =
        starter::create(&dir, &args.name, args.lang, args.scope, &host_command(), &base).map_err(InputError::from)?;
    let shown = created.dir.display();
    let language = match args.lang {
        Language::Rust => "Rust",
        Language::Python => "Python",
        Language::Js => "JavaScript",
    };
    println!("created {shown}/, a {language} collector; build it and run it over the demo cloud:");
    println!();
    println!("  cd {shown}");
    println!("  {}", created.build);
    println!("  {}", created.run);
    println!();
    println!("test it without building: {}", created.test);
    Ok(Exit::Success.into())
}

/// How the operator called this binary, for commands to copy: `host` when
/// it was found on the PATH, the path they typed otherwise.
fn host_command() -> String {
    match std::env::args().next() {
        Some(arg0) if arg0.contains('/') => {
            // The collector's folder is one further down than here.
            let path = PathBuf::from(&arg0);
            match path.is_relative() {
                true => std::env::current_dir().map(|d| d.join(&path).display().to_string()).unwrap_or(arg0),
                false => arg0,
            }
        }
        _ => "host".to_owned(),
    }
}
