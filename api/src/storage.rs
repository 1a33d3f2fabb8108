//! Where attachment bytes live: behind object_store's one interface, a local folder by
//! default (`<data dir>/files`) or S3-compatible storage (`s3://bucket/prefix`, built
//! with the `s3` feature; credentials from the usual `AWS_*` variables) so that several
//! replicas share files.

use std::sync::Arc;

use object_store::{ObjectStore, local::LocalFileSystem};

use crate::config::Settings;

/// Builds the configured store.
pub fn from_settings(settings: &Settings) -> anyhow::Result<Arc<dyn ObjectStore>> {
    match settings.storage_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        None => {
            let dir = settings.data_dir.join("files");
            std::fs::create_dir_all(&dir)?;
            Ok(Arc::new(LocalFileSystem::new_with_prefix(dir)?))
        }
        Some(url) if url.starts_with("file://") => {
            let dir = std::path::PathBuf::from(url.trim_start_matches("file://"));
            std::fs::create_dir_all(&dir)?;
            Ok(Arc::new(LocalFileSystem::new_with_prefix(dir)?))
        }
        Some(url) if url.starts_with("s3://") => s3(url),
        Some(url) => anyhow::bail!("DANGJIAN_STORAGE_URL must be file:///path or s3://bucket/prefix, not {url}"),
    }
}

#[cfg(feature = "s3")]
fn s3(url: &str) -> anyhow::Result<Arc<dyn ObjectStore>> {
    let store = object_store::aws::AmazonS3Builder::from_env().with_url(url).build()?;
    Ok(Arc::new(store))
}

#[cfg(not(feature = "s3"))]
fn s3(_url: &str) -> anyhow::Result<Arc<dyn ObjectStore>> {
    anyhow::bail!("this build has no S3 support: rebuild with `cargo build --release --features s3`")
}
