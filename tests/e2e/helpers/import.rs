//! `rapport import` against the service's database, with files written to
//! a temporary directory.

use std::path::Path;

use clap::Parser;
use rapport_api::cli::import::{ImportArgs, run};

use super::app::TestApp;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: ImportArgs,
}

/// Writes `bytes` to `dir/name`; returns the path.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write the import file");
    path.display().to_string()
}

impl TestApp {
    /// Runs `rapport import ARGV... --database-url <the service's>`.
    pub async fn import(&self, argv: &[&str]) -> Result<(), anyhow::Error> {
        let mut full = vec!["import"];
        full.extend_from_slice(argv);
        full.extend_from_slice(&["--database-url", &self.database_url]);
        let args = Cli::try_parse_from(full).expect("import arguments").args;
        run(args).await
    }
}
