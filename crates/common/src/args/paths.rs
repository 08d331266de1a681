//! Path-valued options and the data directory layout (Core's `GetPathArg`,
//! `GetDataDirBase`, `GetDataDirNet`, `GetBlocksDirPath`, `AbsPathForConfigVal`).

use std::path::{Component, Path, PathBuf};

use super::{ArgsManager, SettingValue};
use crate::chain::{default_datadir, ChainType};

/// Removes `.` components and resolves `..` against the preceding component, without
/// touching the filesystem (C++'s `lexically_normal`, minus the trailing separator).
pub(crate) fn lexically_normal(path: &Path) -> PathBuf {
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir) | Some(Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            other => out.push(other),
        }
    }
    if out.is_empty() && !path.as_os_str().is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

impl ArgsManager {
    /// A path option, normalized and without trailing separator (Core's `GetPathArg`):
    /// empty when negated, `default` when unset or empty.
    pub fn get_path_arg(&self, name: &str, default: &Path) -> PathBuf {
        match self.get_setting(name) {
            Some(SettingValue::Bool(false)) => PathBuf::new(),
            None => default.to_path_buf(),
            Some(v) => {
                let s = v.to_arg_string();
                if s.is_empty() {
                    default.to_path_buf()
                } else {
                    lexically_normal(Path::new(&s))
                }
            }
        }
    }

    fn data_dir(&self, net_specific: bool) -> PathBuf {
        let datadir = self.get_path_arg("-datadir", Path::new(""));
        let mut path = if datadir.as_os_str().is_empty() {
            default_datadir()
        } else {
            match std::path::absolute(&datadir) {
                Ok(p) if p.is_dir() => p,
                _ => return PathBuf::new(),
            }
        };
        if net_specific {
            let chain = self
                .selected_chain()
                .or_else(|| self.get_chain_type().ok())
                .unwrap_or(ChainType::Main);
            let sub = chain.data_subdir();
            if !sub.is_empty() {
                path.push(sub);
            }
        }
        path
    }

    /// The data directory (`-datadir`, absolute, or Core's default); empty when
    /// `-datadir` names no directory (Core's `GetDataDirBase`). Creates nothing.
    pub fn get_data_dir_base(&self) -> PathBuf {
        self.data_dir(false)
    }

    /// `<datadir>/<network subdir>` for the selected network (or the one the options
    /// choose); empty when `-datadir` names no directory (Core's `GetDataDirNet`).
    /// Creates nothing: [`ArgsManager::init_config`] creates it as Core does.
    pub fn get_data_dir_net(&self) -> PathBuf {
        self.data_dir(true)
    }

    /// `-blocksdir` (or the datadir) joined with the network subdir and `blocks`,
    /// created if missing as Core's `GetBlocksDirPath`; empty when `-blocksdir` names
    /// no directory.
    pub fn get_blocks_dir_path(&self) -> std::io::Result<PathBuf> {
        let mut path = if self.get_setting("-blocksdir").is_some() {
            let p = std::path::absolute(self.get_path_arg("-blocksdir", Path::new("")))?;
            if !p.is_dir() {
                return Ok(PathBuf::new());
            }
            p
        } else {
            self.get_data_dir_base()
        };
        let chain = self
            .selected_chain()
            .or_else(|| self.get_chain_type().ok())
            .unwrap_or(ChainType::Main);
        let sub = chain.data_subdir();
        if !sub.is_empty() {
            path.push(sub);
        }
        path.push("blocks");
        std::fs::create_dir_all(&path)?;
        Ok(path)
    }

    /// `path` itself when absolute or empty, else joined to the network datadir (or the
    /// base datadir when `net_specific` is false), as Core's `AbsPathForConfigVal`.
    pub fn abs_path_for_config_val(&self, path: &Path, net_specific: bool) -> PathBuf {
        if path.is_absolute() || path.as_os_str().is_empty() {
            return path.to_path_buf();
        }
        let base = if net_specific {
            self.get_data_dir_net()
        } else {
            self.get_data_dir_base()
        };
        base.join(path)
    }

    /// Whether `-datadir` is unset or names a directory (Core's `CheckDataDirOption`).
    pub fn check_data_dir_option(&self) -> bool {
        let d = self.get_path_arg("-datadir", Path::new(""));
        d.as_os_str().is_empty() || std::path::absolute(&d).is_ok_and(|p| p.is_dir())
    }

    /// The config file in use, set by [`ArgsManager::read_config_files`] (empty with
    /// `-noconf`, `None` before reading).
    pub fn get_config_file_path(&self) -> Option<PathBuf> {
        self.lock().config_path.clone()
    }
}
