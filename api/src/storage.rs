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

/// The bucket URL and key prefix of `s3://bucket/prefix` (object_store's S3 builder
/// takes the bucket from a URL but ignores its path, so the prefix is applied apart).
fn s3_parts(url: &str) -> (String, Option<String>) {
    let rest = url.trim_start_matches("s3://");
    match rest.split_once('/') {
        Some((bucket, prefix)) if !prefix.trim_matches('/').is_empty() => {
            (format!("s3://{bucket}"), Some(prefix.trim_matches('/').to_owned()))
        }
        Some((bucket, _)) => (format!("s3://{bucket}"), None),
        None => (format!("s3://{rest}"), None),
    }
}

#[cfg(feature = "s3")]
fn s3(url: &str) -> anyhow::Result<Arc<dyn ObjectStore>> {
    let (bucket, prefix) = s3_parts(url);
    let store = object_store::aws::AmazonS3Builder::from_env().with_url(bucket).build()?;
    Ok(match prefix {
        Some(prefix) => Arc::new(object_store::prefix::PrefixStore::new(store, prefix)),
        None => Arc::new(store),
    })
}

#[cfg(not(feature = "s3"))]
fn s3(url: &str) -> anyhow::Result<Arc<dyn ObjectStore>> {
    let (bucket, _) = s3_parts(url);
    anyhow::bail!("this build has no S3 support for {bucket}: rebuild with `cargo build --release --features s3`")
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_s3_url_names_a_bucket_and_a_prefix() {
        assert_eq!(super::s3_parts("s3://dangjian"), ("s3://dangjian".into(), None));
        assert_eq!(super::s3_parts("s3://dangjian/"), ("s3://dangjian".into(), None));
        assert_eq!(
            super::s3_parts("s3://dangjian/attachments/prod/"),
            ("s3://dangjian".into(), Some("attachments/prod".into()))
        );
    }
}
