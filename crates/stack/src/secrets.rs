//! Values the launcher generates once and keeps in its data directory so they
//! survive restarts: the bearer tokens left unset in the environment, and the
//! service roles' passwords on an external server. The file is readable by
//! its owner only.

use std::{
    collections::BTreeMap,
    fs,
    io::Write,
    os::unix::fs::{OpenOptionsExt, PermissionsExt},
    path::{Path, PathBuf},
};

/// `KEY=value` lines in `<data dir>/secrets.env`.
#[derive(Debug)]
pub struct Secrets {
    path: PathBuf,
    values: BTreeMap<String, String>,
}

impl Secrets {
    pub fn load(data_dir: &Path) -> std::io::Result<Self> {
        let path = data_dir.join("secrets.env");
        let values = match fs::read_to_string(&path) {
            Ok(text) => text
                .lines()
                .filter_map(|line| line.split_once('='))
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(e),
        };
        Ok(Self { path, values })
    }

    /// The stored value of `key`, generating and saving one if absent.
    pub fn get_or_generate(&mut self, key: &str) -> std::io::Result<String> {
        if let Some(value) = self.values.get(key) {
            return Ok(value.clone());
        }
        let value = platform::tokens::generate();
        self.values.insert(key.to_owned(), value.clone());
        self.save()?;
        Ok(value)
    }

    fn save(&self) -> std::io::Result<()> {
        let mut file = fs::OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .mode(0o600)
            .open(&self.path)?;
        fs::set_permissions(&self.path, fs::Permissions::from_mode(0o600))?;
        for (key, value) in &self.values {
            writeln!(file, "{key}={value}")?;
        }
        file.sync_all()
    }
}
