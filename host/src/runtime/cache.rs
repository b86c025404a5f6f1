//! Compiled components cached on disk, keyed by the plugin's digest and the engine's build.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use wasmtime::Engine;
use wasmtime::component::Component;

use super::error::PluginError;

/// A directory of components this host compiled itself.
#[derive(Clone)]
pub struct ComponentCache {
    dir: PathBuf,
    engine: Engine,
    /// Digest of wasmtime's version and the engine settings that affect compiled code.
    engine_key: String,
}

impl ComponentCache {
    pub fn new(dir: PathBuf, engine: &Engine) -> Self {
        let mut hasher = DigestHasher(blake3::Hasher::new());
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let engine_key = hasher.0.finalize().to_hex()[..16].to_owned();
        ComponentCache { dir, engine: engine.clone(), engine_key }
    }

    /// Returns the compiled component for `bytes`, compiling and storing it on a miss.
    ///
    /// A cache entry that fails to load, or a cache directory that cannot be written, costs a
    /// compile, never the load.
    pub fn component(&self, name: &str, bytes: &[u8]) -> Result<Component, PluginError> {
        check_header(name, bytes)?;
        let digest = blake3::hash(bytes).to_hex();
        let path = self.dir.join(format!("{}-{}.cwasm", self.engine_key, &digest[..32]));

        if path.exists() && self.trusted(&path) {
            // Safety: only files this host serialised are in the cache, named by the digest of
            // their source and the engine's compatibility hash.
            #[allow(unsafe_code, reason = "deserialising artifacts this host produced")]
            let cached = unsafe { Component::deserialize_file(&self.engine, &path) };
            match cached {
                Ok(component) => return Ok(component),
                Err(error) => {
                    tracing::warn!(path = %path.display(), %error, "discarding cached plugin");
                }
            }
        }

        let component = Component::new(&self.engine, bytes).map_err(|error| {
            PluginError::Compile { plugin: name.to_owned(), reason: format!("{error:#}") }
        })?;
        if let Err(error) = self.store(&path, &component) {
            tracing::warn!(path = %path.display(), %error, "could not cache compiled plugin");
        }
        Ok(component)
    }

    /// Compiled code is loaded as native code, so only from a directory and file that nobody
    /// but the owner can write; anything else is recompiled instead.
    fn trusted(&self, path: &Path) -> bool {
        use std::os::unix::fs::PermissionsExt as _;
        let private = |p: &Path| {
            std::fs::symlink_metadata(p)
                .is_ok_and(|m| !m.file_type().is_symlink() && m.permissions().mode() & 0o022 == 0)
        };
        let trusted = private(&self.dir) && private(path);
        if !trusted {
            tracing::warn!(path = %path.display(), "ignoring a cached plugin others can write");
        }
        trusted
    }

    fn store(&self, path: &Path, component: &Component) -> anyhow::Result<()> {
        use std::os::unix::fs::DirBuilderExt as _;
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&self.dir)?;
        let temporary = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&temporary, component.serialize()?)?;
        std::fs::rename(&temporary, path)?;
        Ok(())
    }
}

/// Refuses what is not a WebAssembly component before the compiler sees it.
fn check_header(name: &str, bytes: &[u8]) -> Result<(), PluginError> {
    const MAGIC: &[u8] = b"\0asm";
    const CORE_VERSION: &[u8] = &[1, 0, 0, 0];
    if !bytes.starts_with(MAGIC) {
        let prefix = bytes.iter().take(8).copied().collect();
        return Err(PluginError::NotWasm { plugin: name.to_owned(), prefix });
    }
    if bytes.get(4..8) == Some(CORE_VERSION) {
        return Err(PluginError::CoreModule { plugin: name.to_owned() });
    }
    Ok(())
}

struct DigestHasher(blake3::Hasher);

impl Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        let digest = self.0.finalize();
        u64::from_le_bytes(digest.as_bytes()[..8].try_into().expect("a digest has 32 bytes"))
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}
