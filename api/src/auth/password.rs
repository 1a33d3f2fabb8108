//! Passwords: the NIST SP 800-63B policy for new ones, and argon2id hashing and
//! verification on a small, fixed set of threads.
//!
//! Hashing costs ~19 MiB and tens of milliseconds per call, and anonymous callers can
//! trigger it (the token endpoint), so every hash and check goes through one
//! [`Passwords`] pool per server: at most as many run at once as the pool has threads
//! (default: one per core), a caller waits for a free one only briefly, and beyond that
//! the request is answered 503 with `Retry-After` ([`AppError::Busy`]). Each pool
//! thread keeps one argon2 work area and reuses it for every hash of a burst, so the
//! memory password work takes is at most `threads × m_cost`, whatever the load (left
//! to the allocator, a burst of hashes grew the process by hundreds of MiB that it
//! never gave back); a thread frees its area after [`RELEASE_IDLE_AREA`] without work.
//!
//! Hashes are PHC strings (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`), the format
//! the `argon2` crate writes, so hashes stored before read the same way.

use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::time::Duration;

use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine;
use subtle::ConstantTimeEq;
use tokio::sync::{Semaphore, oneshot};

use crate::error::{AppError, AppResult, Validator};

/// The minimum password length accepted anywhere (NIST SP 800-63B: at least 8, we ask 12).
pub const MIN_PASSWORD_LEN: usize = 12;
/// The longest password accepted (argon2 takes any length; this bounds the work).
pub const MAX_PASSWORD_LEN: usize = 256;

/// Common and breached passwords, one per line, lower case: the 30,000 most frequent
/// passwords of public breach corpora (from the `zxcvbn` project, MIT licence).
const COMMON_PASSWORDS: &str = include_str!("common-passwords.txt");

fn common_passwords() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| COMMON_PASSWORDS.lines().map(str::trim).filter(|l| !l.is_empty()).collect())
}

/// Undoes the usual character substitutions (`p@ssw0rd` → `password`).
fn unleet(c: char) -> char {
    match c {
        '0' => 'o',
        '1' | '!' | '|' => 'i',
        '3' => 'e',
        '4' | '@' => 'a',
        '5' | '$' => 's',
        '7' => 't',
        '8' => 'b',
        '9' => 'g',
        _ => c,
    }
}

/// Whether a password is a known common one, possibly dressed up: upper case, the
/// usual substitutions, digits and symbols before or after (`Welcome@2024`,
/// `Password123!`), or a word repeated.
fn is_common(password: &str) -> bool {
    let list = common_passwords();
    let lower = password.to_lowercase();
    let core = lower.trim_matches(|c: char| !c.is_alphabetic());
    let leet: String = lower.chars().map(unleet).collect();
    let leet_core: String = core.chars().map(unleet).collect();
    let letters: String = lower.chars().filter(|c| c.is_alphabetic()).collect();
    [lower.as_str(), core, leet.as_str(), leet_core.as_str(), letters.as_str()]
        .iter()
        .any(|candidate| !candidate.is_empty() && list.contains(candidate))
        || (!core.is_empty() && is_repetition(core) && list.contains(&core[..core.len() / 2]))
}

fn is_repetition(s: &str) -> bool {
    s.len().is_multiple_of(2) && s.is_char_boundary(s.len() / 2) && s[..s.len() / 2] == s[s.len() / 2..]
}

/// Checks a new password after NIST SP 800-63B: length first (at least
/// [`MIN_PASSWORD_LEN`] characters, any characters, spaces included), not a common or
/// breached password (a block-list shipped in the binary), not a trivial run, not
/// built on the account name or the service's name. No composition rules: a long
/// lower-case passphrase is fine. Names `field` on failure.
pub fn validate_new(password: &str, field: &str, username: Option<&str>) -> AppResult<()> {
    let len = password.chars().count();
    if len < MIN_PASSWORD_LEN {
        return Err(AppError::invalid(field, format!("must be at least {MIN_PASSWORD_LEN} characters")));
    }
    let lower = password.to_lowercase();
    let contextual = ["dangjian", "党建"].into_iter().chain(username.filter(|u| u.chars().count() >= 3)).any(|word| {
        let word = word.to_lowercase();
        lower.contains(&word) && lower.replace(&word, "").chars().filter(|c| c.is_alphanumeric()).count() < 8
    });
    Validator::new()
        .check(len <= MAX_PASSWORD_LEN, field, &format!("must be at most {MAX_PASSWORD_LEN} characters"))
        .check(!is_common(password), field, "is a commonly used or breached password; choose another")
        .check(
            !crate::strength::is_trivial(password),
            field,
            "is a repeated or sequential run of characters; choose another",
        )
        .check(!contextual, field, "is built on the account or service name; choose another")
        .finish()
}

/// argon2id cost parameters (configurable; the default is OWASP's minimum:
/// 19 MiB, 2 iterations, 1 lane).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashCost {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Iterations.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for HashCost {
    fn default() -> Self {
        HashCost { memory_kib: 19 * 1024, iterations: 2, parallelism: 1 }
    }
}

impl HashCost {
    fn params(&self) -> AppResult<Params> {
        Params::new(self.memory_kib, self.iterations, self.parallelism, Some(OUTPUT_LEN))
            .map_err(|e| AppError::internal(anyhow::anyhow!("argon2 parameters refused: {e}")))
    }

    /// Whether a stored hash is weaker than this cost (or not argon2id v1.3 at all) and
    /// should be replaced at the next successful login.
    fn is_stronger_than(&self, stored: &Phc) -> bool {
        let p = &stored.params;
        stored.algorithm != Algorithm::Argon2id
            || stored.version != Version::V0x13
            || p.m_cost() < self.memory_kib
            || p.t_cost() < self.iterations
            || p.p_cost() < self.parallelism
    }
}

/// Length of the hash output, in bytes.
const OUTPUT_LEN: usize = 32;
/// Length of a new salt, in bytes.
const SALT_LEN: usize = 16;

/// PHC strings use base64 without padding.
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD_NO_PAD;

/// A parsed PHC string of an argon2 hash.
struct Phc {
    algorithm: Algorithm,
    version: Version,
    params: Params,
    salt: Vec<u8>,
    hash: Vec<u8>,
}

impl Phc {
    /// Parses `$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>` (without a version: 0x10).
    fn parse(text: &str) -> Option<Phc> {
        let mut parts = text.split('$');
        if !parts.next()?.is_empty() {
            return None;
        }
        let algorithm = match parts.next()? {
            "argon2id" => Algorithm::Argon2id,
            "argon2i" => Algorithm::Argon2i,
            "argon2d" => Algorithm::Argon2d,
            _ => return None,
        };
        let mut field = parts.next()?;
        let version = match field.strip_prefix("v=") {
            Some(v) => {
                field = parts.next()?;
                match v {
                    "19" => Version::V0x13,
                    "16" => Version::V0x10,
                    _ => return None,
                }
            }
            None => Version::V0x10,
        };
        let (mut m, mut t, mut p) = (None, None, None);
        for pair in field.split(',') {
            let (key, value) = pair.split_once('=')?;
            let value: u32 = value.parse().ok()?;
            match key {
                "m" => m = Some(value),
                "t" => t = Some(value),
                "p" => p = Some(value),
                _ => return None,
            }
        }
        let salt = B64.decode(parts.next()?).ok()?;
        let hash = B64.decode(parts.next()?).ok()?;
        if parts.next().is_some() {
            return None;
        }
        let params = Params::new(m?, t?, p?, Some(hash.len())).ok()?;
        Some(Phc { algorithm, version, params, salt, hash })
    }

    fn format(&self) -> String {
        let version = match self.version {
            Version::V0x10 => 16,
            Version::V0x13 => 19,
        };
        let algorithm = match self.algorithm {
            Algorithm::Argon2d => "argon2d",
            Algorithm::Argon2i => "argon2i",
            Algorithm::Argon2id => "argon2id",
        };
        let p = &self.params;
        format!(
            "${algorithm}$v={version}$m={},t={},p={}${}${}",
            p.m_cost(),
            p.t_cost(),
            p.p_cost(),
            B64.encode(&self.salt),
            B64.encode(&self.hash)
        )
    }
}

thread_local! {
    /// The argon2 work area of a pool thread, grown to the largest cost it has seen.
    static WORK_AREA: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Computes an argon2 hash in the calling thread's reusable work area.
fn compute(
    algorithm: Algorithm,
    version: Version,
    params: &Params,
    password: &[u8],
    salt: &[u8],
) -> AppResult<Vec<u8>> {
    let mut out = vec![0u8; params.output_len().unwrap_or(OUTPUT_LEN)];
    let blocks = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params.clone());
    WORK_AREA
        .with(|area| {
            let mut area = area.borrow_mut();
            if area.len() < blocks {
                area.resize(blocks, Block::default());
            }
            argon2.hash_password_into_with_memory(password, salt, &mut out, &mut area[..blocks])
        })
        .map_err(|e| AppError::internal(anyhow::anyhow!("argon2 failed: {e}")))?;
    Ok(out)
}

/// A new PHC hash of `password` with the given cost.
fn hash_new(params: &Params, password: &[u8]) -> AppResult<String> {
    let salt: [u8; SALT_LEN] = rand::random();
    let hash = compute(Algorithm::Argon2id, Version::V0x13, params, password, &salt)?;
    let phc = Phc {
        algorithm: Algorithm::Argon2id,
        version: Version::V0x13,
        params: params.clone(),
        salt: salt.to_vec(),
        hash,
    };
    Ok(phc.format())
}

type Job = Box<dyn FnOnce() + Send>;

struct Inner {
    permits: Semaphore,
    wait: Duration,
    jobs: Mutex<mpsc::Sender<Job>>,
    params: Params,
    cost: HashCost,
    dummy: OnceLock<String>,
    threads: usize,
    running: AtomicUsize,
    peak: AtomicUsize,
}

/// The server's password-hashing pool: a fixed number of threads, a short wait for a
/// free one, 503 beyond it. Cheap to clone.
#[derive(Clone)]
pub struct Passwords(Arc<Inner>);

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passwords").field("threads", &self.threads()).field("cost", &self.0.cost).finish()
    }
}

/// How long a pool thread keeps its argon2 work area without a job before it frees it
/// (a burst of logins costs its memory only while it lasts).
const RELEASE_IDLE_AREA: Duration = Duration::from_secs(10);

/// Seconds a refused caller is told to wait (`Retry-After`).
const RETRY_AFTER_SECS: u64 = 1;

impl Passwords {
    /// Starts `threads` hashing threads (at least one) with the given cost; a caller
    /// waits at most `wait` for a free thread.
    pub fn new(threads: usize, wait: Duration, cost: HashCost) -> AppResult<Self> {
        let threads = threads.max(1);
        let params = cost.params()?;
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for n in 0..threads {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("dj-password-{n}"))
                .spawn(move || {
                    // Whether this thread holds a work area to give back when idle.
                    let mut holding = false;
                    loop {
                        let job = match rx.lock() {
                            Ok(guard) if holding => match guard.recv_timeout(RELEASE_IDLE_AREA) {
                                Ok(job) => Some(job),
                                Err(mpsc::RecvTimeoutError::Timeout) => None,
                                Err(mpsc::RecvTimeoutError::Disconnected) => return,
                            },
                            Ok(guard) => match guard.recv() {
                                Ok(job) => Some(job),
                                Err(_) => return,
                            },
                            Err(_) => return,
                        };
                        match job {
                            Some(job) => {
                                job();
                                holding = true;
                            }
                            None => {
                                // A burst is over: the memory goes back to the system.
                                WORK_AREA.with(|area| *area.borrow_mut() = Vec::new());
                                holding = false;
                            }
                        }
                    }
                })
                .map_err(AppError::internal)?;
        }
        Ok(Passwords(Arc::new(Inner {
            permits: Semaphore::new(threads),
            wait,
            jobs: Mutex::new(tx),
            params,
            cost,
            dummy: OnceLock::new(),
            threads,
            running: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        })))
    }

    /// Threads in the pool (= hashes that may run at once).
    pub fn threads(&self) -> usize {
        self.0.threads
    }

    /// The most hashes that ever ran at once in this pool.
    pub fn peak_concurrency(&self) -> usize {
        self.0.peak.load(Ordering::Relaxed)
    }

    /// Runs `work` on a pool thread, waiting briefly for one to be free.
    async fn run<T: Send + 'static>(&self, work: impl FnOnce(&Inner) -> T + Send + 'static) -> AppResult<T> {
        let waiting = metrics::gauge!(crate::telemetry::PASSWORD_WAITING);
        waiting.increment(1.0);
        let permit = tokio::time::timeout(self.0.wait, self.0.permits.acquire()).await;
        waiting.decrement(1.0);
        let permit = permit
            .map_err(|_| {
                metrics::counter!(crate::telemetry::PASSWORD_REFUSED).increment(1);
                AppError::Busy(RETRY_AFTER_SECS)
            })?
            .map_err(AppError::internal)?;
        let inner = self.0.clone();
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move || {
            let now = inner.running.fetch_add(1, Ordering::SeqCst) + 1;
            inner.peak.fetch_max(now, Ordering::SeqCst);
            let out = work(&inner);
            inner.running.fetch_sub(1, Ordering::SeqCst);
            let _ = tx.send(out);
        });
        self.0
            .jobs
            .lock()
            .map_err(|_| AppError::internal(anyhow::anyhow!("password pool poisoned")))?
            .send(job)
            .map_err(|_| AppError::internal(anyhow::anyhow!("password pool stopped")))?;
        let out = rx.await.map_err(|_| AppError::internal(anyhow::anyhow!("password job lost")))?;
        drop(permit);
        Ok(out)
    }

    /// Hashes a password (argon2id, random salt, the configured cost).
    pub async fn hash(&self, password: String) -> AppResult<String> {
        self.run(move |inner| hash_new(&inner.params, password.as_bytes())).await?
    }

    /// Verifies a password against a stored hash. `None` as the hash still spends the
    /// same work (against a dummy hash) so unknown users take as long. On success,
    /// `Some(new_hash)` when the stored hash is weaker than the configured cost and
    /// should be replaced.
    pub async fn verify(&self, password: String, stored: Option<String>) -> AppResult<Verified> {
        self.run(move |inner| {
            let dummy =
                inner.dummy.get_or_init(|| hash_new(&inner.params, b"dummy-password-for-timing").unwrap_or_default());
            let hash_text = stored.as_deref().unwrap_or(dummy);
            let parsed = Phc::parse(hash_text)
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("stored password hash unreadable")))?;
            // Verification uses the stored hash's own parameters.
            let computed =
                compute(parsed.algorithm, parsed.version, &parsed.params, password.as_bytes(), &parsed.salt)?;
            let ok = bool::from(computed.ct_eq(&parsed.hash)) && stored.is_some();
            if !ok {
                return Ok(Verified::No);
            }
            if inner.cost.is_stronger_than(&parsed) {
                return Ok(Verified::YesRehash(hash_new(&inner.params, password.as_bytes())?));
            }
            Ok(Verified::Yes)
        })
        .await?
    }
}

/// The outcome of a password check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    /// Wrong password (or no such account).
    No,
    /// Right password, stored hash up to date.
    Yes,
    /// Right password; the stored hash is weaker than the configured cost: store this one.
    YesRehash(String),
}

impl Verified {
    /// Whether the password was right.
    pub fn ok(&self) -> bool {
        !matches!(self, Verified::No)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool() -> Passwords {
        Passwords::new(2, Duration::from_secs(5), HashCost { memory_kib: 1024, iterations: 1, parallelism: 1 })
            .expect("pool")
    }

    #[tokio::test]
    async fn hash_then_verify() {
        let p = pool();
        let h = p.hash("Correct-Horse-1".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"));
        assert_eq!(p.verify("Correct-Horse-1".into(), Some(h.clone())).await.unwrap(), Verified::Yes);
        assert_eq!(p.verify("wrong".into(), Some(h)).await.unwrap(), Verified::No);
        assert_eq!(p.verify("dummy-password-for-timing".into(), None).await.unwrap(), Verified::No);
    }

    #[tokio::test]
    async fn hashes_of_the_argon2_crate_verify_and_ours_are_its_format() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let theirs = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(1024, 1, 1, None).unwrap())
            .hash_password(b"Correct-Horse-1")
            .unwrap()
            .to_string();
        assert_eq!(pool().verify("Correct-Horse-1".into(), Some(theirs)).await.unwrap(), Verified::Yes);
        let ours = pool().hash("Correct-Horse-1".into()).await.unwrap();
        let parsed = argon2::password_hash::phc::PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default().verify_password(b"Correct-Horse-1", &parsed).is_ok());
        assert!(Phc::parse("$argon2id$v=19$m=1024,t=1$c2FsdHNhbHQ$aGFzaA").is_none(), "p missing");
    }

    #[tokio::test]
    async fn weaker_stored_hashes_are_upgraded_on_success() {
        let weak =
            Passwords::new(1, Duration::from_secs(5), HashCost { memory_kib: 512, iterations: 1, parallelism: 1 })
                .unwrap();
        let h = weak.hash("Correct-Horse-1".into()).await.unwrap();
        let Verified::YesRehash(new) = pool().verify("Correct-Horse-1".into(), Some(h)).await.unwrap() else {
            panic!("a weaker hash must be upgraded");
        };
        assert!(new.contains("m=1024,t=1,p=1"));
        assert_eq!(pool().verify("Correct-Horse-1".into(), Some(new)).await.unwrap(), Verified::Yes);
    }

    #[tokio::test]
    async fn a_saturated_pool_answers_busy() {
        let p = Passwords::new(
            1,
            Duration::from_millis(1),
            HashCost { memory_kib: 8 * 1024, iterations: 4, parallelism: 1 },
        )
        .unwrap();
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                tokio::spawn({
                    let p = p.clone();
                    async move { p.hash("Correct-Horse-1".into()).await }
                })
            })
            .collect();
        let mut busy = 0;
        for t in tasks {
            if matches!(t.await.unwrap(), Err(AppError::Busy(_))) {
                busy += 1;
            }
        }
        assert!(busy > 0, "eight hashes at once on one thread with no wait must refuse some");
        assert_eq!(p.peak_concurrency(), 1);
    }

    #[test]
    fn the_policy_is_length_and_block_list_not_composition() {
        let err = validate_new("short", "password", None).unwrap_err();
        assert!(matches!(err, AppError::Validation(ref v) if v[0].field == "password"));
        for weak in [
            "Password123!",
            "Welcome@2024",
            "P@ssw0rd2024!",
            "qwertyuiop123",
            "aaaaaaaaaaaaaaa",
            "123456789012",
            "abcdefghijklm",
            "iloveyouiloveyou",
        ] {
            assert!(validate_new(weak, "password", None).is_err(), "{weak} must be refused");
        }
        assert!(validate_new("admin.wang-2024!", "password", Some("admin.wang")).is_err(), "built on the username");
        assert!(validate_new("dangjian2024!!", "password", None).is_err(), "built on the service name");
        for good in [
            "correct horse battery staple",
            "thequickbrownfoxjumpsoverthelazydogagain",
            "Good-Enough-42-xyz",
            "科技创新引领高质量发展之路",
        ] {
            assert!(validate_new(good, "password", None).is_ok(), "{good} must be accepted");
        }
    }
}
