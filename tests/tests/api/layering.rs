//! The layering the architecture promises, checked on the source: services carry no
//! transport code, neither transport imports the other, the state and the shared HTTP
//! plumbing import no transport, and no module imports (directly or round about) a
//! module that imports it back.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn api_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../api/src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `services/innovation/mod.rs` → `services::innovation`; `lib.rs` → `` (the crate root).
fn module_of(rel: &Path) -> String {
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_owned());
    }
    parts.join("::")
}

/// The source without comments and without its `#[cfg(test)]` module (tests may reach anywhere).
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

fn ident_at(s: &str) -> (&str, &str) {
    let end = s.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(s.len());
    (&s[..end], &s[end..])
}

/// Every module path named after `crate::` or `super::` (groups `{a, b::c}` expanded),
/// made absolute.
fn references(module: &str, code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    // `super` of `a::b` is `a`, whether it lives in a/b.rs or a/b/mod.rs.
    let base: Vec<&str> = if module.is_empty() { vec![] } else { module.split("::").collect() };
    let mut rest = code;
    while let Some(i) = rest.find(['c', 's']) {
        let s = &rest[i..];
        let boundary = rest[..i].chars().last().is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        let (prefix, mut path): (Vec<String>, &str) = if boundary && s.starts_with("crate::") {
            (vec![], &s["crate::".len()..])
        } else if boundary && s.starts_with("super::") {
            let mut up = 0;
            let mut p = s;
            while let Some(r) = p.strip_prefix("super::") {
                up += 1;
                p = r;
            }
            let keep = base.len().saturating_sub(up);
            (base[..keep].iter().map(|s| s.to_string()).collect(), p)
        } else {
            rest = &rest[i + 1..];
            continue;
        };
        let mut segs = prefix.clone();
        loop {
            let (id, after) = ident_at(path);
            if id.is_empty() {
                if let Some(group) = path.strip_prefix('{') {
                    let end = group.find('}').unwrap_or(group.len());
                    for item in group[..end].split(',') {
                        let item = item.trim();
                        let mut full = segs.clone();
                        full.extend(
                            item.split("::").map(|s| ident_at(s.trim()).0.to_owned()).filter(|s| !s.is_empty()),
                        );
                        out.insert(full.join("::"));
                    }
                }
                break;
            }
            segs.push(id.to_owned());
            match after.strip_prefix("::") {
                Some(next) => path = next,
                None => break,
            }
        }
        out.insert(segs.join("::"));
        rest = &s[1..];
    }
    out
}

struct Graph {
    modules: BTreeSet<String>,
    edges: BTreeMap<String, BTreeSet<String>>,
    code: BTreeMap<String, String>,
}

fn graph() -> Graph {
    let root = api_src();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut code = BTreeMap::new();
    let mut refs = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&root).unwrap();
        if rel == Path::new("main.rs") {
            continue;
        }
        let module = module_of(rel);
        let text = code_of(&std::fs::read_to_string(&f).unwrap());
        refs.insert(module.clone(), references(&module, &text));
        code.insert(module, text);
    }
    let modules: BTreeSet<String> = code.keys().cloned().collect();
    let mut edges = BTreeMap::new();
    for (m, targets) in &refs {
        let mut set = BTreeSet::new();
        for t in targets {
            // The longest module that is a prefix of the path named.
            let mut parts: Vec<&str> = t.split("::").collect();
            while !parts.is_empty() && !modules.contains(&parts.join("::")) {
                parts.pop();
            }
            let target = parts.join("::");
            let related = target.is_empty()
                || target == *m
                || m.starts_with(&format!("{target}::"))
                || target.starts_with(&format!("{m}::"));
            if !related {
                set.insert(target);
            }
        }
        edges.insert(m.clone(), set);
    }
    Graph { modules, edges, code }
}

#[test]
fn services_carry_no_transport_code() {
    let g = graph();
    let forbidden = [
        "actix_web",
        "actix_http",
        "HttpRequest",
        "HttpResponse",
        "async_graphql::Context",
        "async_graphql::Schema",
        "async_graphql::Request",
        "async_graphql::Response",
        "async_graphql::http",
    ];
    for (m, code) in g.code.iter().filter(|(m, _)| m.starts_with("services")) {
        for word in forbidden {
            assert!(!code.contains(word), "{m} uses {word}: services may derive transport traits, not run transports");
        }
    }
}

#[test]
fn no_layer_imports_one_above_it() {
    let g = graph();
    let top = |m: &str| m.split("::").next().unwrap_or("").to_owned();
    let rules: [(&str, &[&str]); 6] = [
        ("graphql", &["rest"]),
        ("rest", &["graphql"]),
        ("http", &["rest", "graphql", "startup"]),
        ("state", &["rest", "graphql", "http", "startup"]),
        ("services", &["rest", "graphql", "http", "state", "startup"]),
        ("config", &["services", "auth", "rest", "graphql", "http", "state", "startup"]),
    ];
    for (m, targets) in &g.edges {
        for (layer, banned) in rules {
            if top(m) != layer {
                continue;
            }
            for t in targets {
                assert!(!banned.contains(&top(t).as_str()), "{m} imports {t}: {layer} may not import {}", top(t));
            }
        }
    }
}

#[test]
fn there_are_no_import_circles() {
    let g = graph();
    // Tarjan's strongly connected components over the module graph.
    struct State<'a> {
        g: &'a Graph,
        index: BTreeMap<String, usize>,
        low: BTreeMap<String, usize>,
        stack: Vec<String>,
        on_stack: BTreeSet<String>,
        next: usize,
        circles: Vec<Vec<String>>,
    }
    fn visit(s: &mut State, v: &str) {
        s.index.insert(v.to_owned(), s.next);
        s.low.insert(v.to_owned(), s.next);
        s.next += 1;
        s.stack.push(v.to_owned());
        s.on_stack.insert(v.to_owned());
        let targets: Vec<String> = s.g.edges.get(v).map(|t| t.iter().cloned().collect()).unwrap_or_default();
        for w in targets {
            if !s.index.contains_key(&w) {
                visit(s, &w);
                let low = s.low[v].min(s.low[&w]);
                s.low.insert(v.to_owned(), low);
            } else if s.on_stack.contains(&w) {
                let low = s.low[v].min(s.index[&w]);
                s.low.insert(v.to_owned(), low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(&w);
                let done = w == v;
                component.push(w);
                if done {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.circles.push(component);
            }
        }
    }
    let mut s = State {
        g: &g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        circles: Vec::new(),
    };
    for m in &g.modules {
        if !s.index.contains_key(m) {
            visit(&mut s, m);
        }
    }
    assert!(s.circles.is_empty(), "modules that import each other (round about): {:#?}", s.circles);
}

#[test]
fn the_reference_scanner_reads_groups_and_relative_paths() {
    let r = references(
        "services::innovation::projects",
        "use super::{keyset, audit_change};\nuse super::super::scope::find_in_scope;\nuse crate::auth::{Actor, password::Passwords};",
    );
    for want in
        ["services::innovation::keyset", "services::scope::find_in_scope", "auth::Actor", "auth::password::Passwords"]
    {
        assert!(r.contains(want), "{want} in {r:?}");
    }
}
