//! The server under test, as a child process of the benchmark (the same executable with
//! `serve`), and what the benchmark reads about it: a minimal HTTP/1.1 client for the
//! few requests it makes itself (readiness, login, metrics, probes), the Prometheus
//! counters at `/metrics`, and CPU time and memory from `/proc`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `dangjian serve`; stopped (SIGTERM, then SIGKILL after 10 s) when dropped,
/// so an error anywhere in the benchmark never leaves it behind.
pub struct Server {
    child: Child,
    /// `127.0.0.1:<port>` it listens on.
    pub addr: String,
    /// The bearer token of `/metrics`.
    pub metrics_token: String,
    /// Its log file (stdout and stderr).
    pub log: PathBuf,
}

/// An HTTP answer: status and body.
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// Body (de-chunked).
    pub body: String,
}

/// The counters of `/metrics` the benchmark reports.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counters {
    /// `dangjian_http_requests_total`, summed over its labels.
    pub requests: f64,
    /// `dangjian_sql_statements_total{origin="request"}`.
    pub request_statements: f64,
    /// `dangjian_sql_statements_total{origin="background"}`.
    pub background_statements: f64,
}

/// A free TCP port on 127.0.0.1 (the OS picks it; it is released at once for the server).
fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

impl Server {
    /// Starts `dangjian serve` on `database_url` with a data folder and log inside `dir`,
    /// warnings-only logging and a fresh metrics token; `env` adds or overrides
    /// variables. Waits (up to two minutes) until `/readyz` answers 200.
    pub fn start(database_url: &str, dir: &Path, env: &[(&str, String)]) -> anyhow::Result<Server> {
        // `DANGJIAN_BENCH_SERVER` names another build to measure (an earlier commit, say)
        // on the same dataset; by default this very executable serves.
        let exe = match std::env::var_os("DANGJIAN_BENCH_SERVER") {
            Some(path) => PathBuf::from(path),
            None => std::env::current_exe()?,
        };
        let port = free_port()?;
        let addr = format!("127.0.0.1:{port}");
        let data_dir = dir.join("server-data");
        std::fs::create_dir_all(&data_dir)?;
        let log = dir.join("server.log");
        let out = std::fs::File::create(&log)?;
        let err = out.try_clone()?;
        let metrics_token = hex::encode(rand::random::<[u8; 16]>());
        let mut cmd = Command::new(exe);
        cmd.arg("serve")
            .env("DATABASE_URL", database_url)
            .env("DANGJIAN_BIND", &addr)
            .env("DANGJIAN_DATA_DIR", &data_dir)
            .env("DANGJIAN_METRICS_TOKEN", &metrics_token)
            .env("DANGJIAN_LOG", "warn")
            .env("DANGJIAN_ENV", "development")
            // The load generator is one account sending thousands of requests a second:
            // the request quotas would refuse most of them.
            .env("DANGJIAN_RATE_LIMIT_ACCOUNT", "0")
            .env("DANGJIAN_RATE_LIMIT_CLIENT", "0")
            .env("DANGJIAN_RATE_LIMIT_TOKEN", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err));
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn()?;
        let mut server = Server { child, addr, metrics_token, log };
        let started = Instant::now();
        loop {
            if let Some(status) = server.child.try_wait()? {
                anyhow::bail!("the server exited ({status}) before it was ready:\n{}", server.log_tail());
            }
            if matches!(server.request("GET", "/readyz", &[], None), Ok(a) if a.status == 200) {
                break;
            }
            if started.elapsed() > Duration::from_secs(120) {
                anyhow::bail!("the server was not ready after two minutes:\n{}", server.log_tail());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(server)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The last lines of the server's log (for error messages).
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// One request (HTTP/1.1, `Connection: close`) with extra headers and an optional
    /// JSON body.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> anyhow::Result<Answer> {
        let mut stream = TcpStream::connect(&self.addr)?;
        stream.set_read_timeout(Some(Duration::from_secs(60)))?;
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n", self.addr);
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if let Some(b) = body {
            head.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n", b.len()));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes())?;
        if let Some(b) = body {
            stream.write_all(b.as_bytes())?;
        }
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw)?;
        parse_answer(&raw)
    }

    /// Signs in with the password grant and returns the access token.
    pub fn login(&self, username: &str, password: &str) -> anyhow::Result<String> {
        let body =
            serde_json::json!({"grant_type": "password", "username": username, "password": password}).to_string();
        let a = self.request("POST", "/api/v1/auth/token", &[("Accept", "application/json")], Some(&body))?;
        anyhow::ensure!(a.status == 200, "signing in as {username} answered {}: {}", a.status, a.body);
        let v: serde_json::Value = serde_json::from_str(&a.body)?;
        v["access_token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow::anyhow!("the token endpoint answered no access_token: {}", a.body))
    }

    /// The counters of `/metrics`, or `None` when the server has no metrics (404).
    pub fn counters(&self) -> anyhow::Result<Option<Counters>> {
        let auth = format!("Bearer {}", self.metrics_token);
        let a = self.request("GET", "/metrics", &[("Authorization", &auth)], None)?;
        match a.status {
            200 => Ok(Some(parse_counters(&a.body))),
            404 => Ok(None),
            s => anyhow::bail!("GET /metrics answered {s}: {}", a.body),
        }
    }

    /// User plus system CPU time the server has used so far, in milliseconds.
    pub fn cpu_ms(&self, ticks_per_second: f64) -> anyhow::Result<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid()))?;
        // The command name (2nd field) is in parentheses and may hold spaces.
        let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
        let fields: Vec<&str> = after.split_whitespace().collect();
        // After the name: state is field 3, so utime (14) and stime (15) are at 11 and 12.
        let ticks = |i: usize| -> anyhow::Result<f64> {
            Ok(fields.get(i).ok_or_else(|| anyhow::anyhow!("unexpected /proc/<pid>/stat"))?.parse::<f64>()?)
        };
        Ok((ticks(11)? + ticks(12)?) * 1000.0 / ticks_per_second)
    }

    /// A line of `/proc/<pid>/status` in MB (`VmHWM`: peak resident set; `VmRSS`: now).
    pub fn memory_mb(&self, field: &str) -> anyhow::Result<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))?;
        let kb = status
            .lines()
            .find_map(|l| l.strip_prefix(field).and_then(|r| r.strip_prefix(':')))
            .and_then(|r| r.split_whitespace().next())
            .ok_or_else(|| anyhow::anyhow!("no {field} in /proc/<pid>/status"))?
            .parse::<f64>()?;
        Ok(kb / 1024.0)
    }

    /// Resets the peak resident set (`VmHWM`) to the current one (`5` to
    /// `/proc/<pid>/clear_refs`), so that the next reading is the peak of what came after.
    /// False when the kernel refused.
    pub fn reset_peak_memory(&self) -> bool {
        std::fs::write(format!("/proc/{}/clear_refs", self.pid()), "5").is_ok()
    }

    /// Stops the server: SIGTERM (graceful), then SIGKILL if it is still running 10 s later.
    pub fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        let _ = Command::new("kill").arg("-TERM").arg(self.pid().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Clock ticks per second of `/proc/<pid>/stat` (`getconf CLK_TCK`; 100 when unknown).
pub fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse::<f64>().ok())
        .filter(|t| *t > 0.0)
        .unwrap_or(100.0)
}

/// Splits a raw HTTP/1.1 response into status and body (chunked bodies joined).
fn parse_answer(raw: &[u8]) -> anyhow::Result<Answer> {
    let split =
        raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(|| anyhow::anyhow!("incomplete HTTP response"))?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let mut body = raw[split + 4..].to_vec();
    let status = head
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| anyhow::anyhow!("no status line in the HTTP response"))?;
    let chunked = head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    if chunked {
        body = dechunk(&body)?;
    }
    Ok(Answer { status, body: String::from_utf8_lossy(&body).into_owned() })
}

/// Joins the chunks of a `Transfer-Encoding: chunked` body.
fn dechunk(mut rest: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = rest.windows(2).position(|w| w == b"\r\n").ok_or_else(|| anyhow::anyhow!("bad chunked body"))?;
        let size_text = String::from_utf8_lossy(&rest[..eol]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)?;
        rest = &rest[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        anyhow::ensure!(rest.len() >= size, "truncated chunked body");
        out.extend_from_slice(&rest[..size]);
        rest = rest.get(size + 2..).unwrap_or(&[]);
    }
}

/// The counters the benchmark reads, from Prometheus text exposition.
fn parse_counters(text: &str) -> Counters {
    let mut c = Counters::default();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((series, value)) = line.rsplit_once(' ') else { continue };
        let Ok(value) = value.trim().parse::<f64>() else { continue };
        let (name, labels) = match series.split_once('{') {
            Some((n, l)) => (n, l),
            None => (series, ""),
        };
        match name {
            "dangjian_http_requests_total" => c.requests += value,
            "dangjian_sql_statements_total" if labels.contains("origin=\"request\"") => c.request_statements += value,
            "dangjian_sql_statements_total" if labels.contains("origin=\"background\"") => {
                c.background_statements += value
            }
            _ => {}
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_counters_from_prometheus_text() {
        let text = "# TYPE dangjian_http_requests_total counter\n\
            dangjian_http_requests_total{route=\"/graphql\",method=\"POST\",status=\"200\"} 10\n\
            dangjian_http_requests_total{route=\"/readyz\",method=\"GET\",status=\"200\"} 2\n\
            dangjian_sql_statements_total{origin=\"request\"} 40\n\
            dangjian_sql_statements_total{origin=\"background\"} 3\n";
        let c = parse_counters(text);
        assert_eq!((c.requests, c.request_statements, c.background_statements), (12.0, 40.0, 3.0));
    }

    #[test]
    fn joins_chunked_bodies() {
        let raw = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\nabcd\r\n2\r\nef\r\n0\r\n\r\n";
        let a = parse_answer(raw).unwrap();
        assert_eq!((a.status, a.body.as_str()), (200, "abcdef"));
    }
}
