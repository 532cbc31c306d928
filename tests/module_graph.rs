//! The core's module graph is what crates/core/src/lib.rs draws: each module uses only the
//! modules on the rows below it in the "Modules, bottom up" diagram (the leaves, on the
//! bottom row, may use each other but not in a cycle), and every module is on the diagram.
//! Test-only code (`#[cfg(test)]` modules and `testing`) is not counted.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use crate::util::repo_root;

/// Rows of the diagram, top first: (row name, modules on it).
fn diagram(lib: &str) -> Vec<(String, Vec<String>)> {
    let start = lib
        .find("## Modules, bottom up")
        .expect("lib.rs has the module diagram");
    let block = &lib[start..];
    let open = block.find("```text").expect("diagram block") + "```text".len();
    let close = open + block[open..].find("```").expect("diagram block end");
    // Rows as (name, text), a line indented further continuing the row above.
    let mut raw: Vec<(String, String)> = Vec::new();
    for line in block[open..close].lines() {
        let body = line.trim_start_matches("//!");
        let text = body.trim();
        if text.is_empty() {
            continue;
        }
        let indent = body.len() - body.trim_start().len();
        match raw.last_mut() {
            Some((_, rest)) if indent > 2 => {
                rest.push(' ');
                rest.push_str(text);
            }
            _ => {
                let (name, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
                raw.push((name.to_string(), rest.to_string()));
            }
        }
    }
    let mut rows = Vec::new();
    for (name, rest) in raw {
        let mods = if name == "leaves" {
            // `source, progress, present (words for people), json`: the names before each
            // parenthesis-free comma.
            let mut plain = String::new();
            let mut depth = 0;
            for c in rest.chars() {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ if depth == 0 => plain.push(c),
                    _ => {}
                }
            }
            plain
                .split(',')
                .map(|m| m.split_whitespace().next().unwrap_or("").to_string())
                .filter(|m| !m.is_empty())
                .collect()
        } else {
            vec![name.clone()]
        };
        rows.push((name, mods));
    }
    rows
}

/// The source of `module` (its file, or every file under its directory) without the
/// `#[cfg(test)]` items at its end.
fn sources(src: &Path, module: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let file = src.join(format!("{module}.rs"));
    if file.is_file() {
        out.push((
            file.display().to_string(),
            fs::read_to_string(&file).unwrap(),
        ));
    }
    let dir = src.join(module);
    if dir.is_dir() {
        let mut stack = vec![dir];
        while let Some(d) = stack.pop() {
            for e in fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs")
                    && p.file_name().is_none_or(|n| n != "tests.rs")
                {
                    out.push((p.display().to_string(), fs::read_to_string(&p).unwrap()));
                }
            }
        }
    }
    for (_, text) in &mut out {
        if let Some(i) = text.find("#[cfg(test)]\nmod tests") {
            text.truncate(i);
        }
    }
    out
}

/// The top-level core modules a source refers to through `crate::` (comments, and so doc
/// links, left out).
fn uses(text: &str) -> BTreeSet<String> {
    let code: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let text = code.as_str();
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices("crate::") {
        if text[..i].ends_with("layerlens_") {
            continue;
        }
        let name: String = text[i + "crate::".len()..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() && name.chars().next().is_some_and(|c| c.is_ascii_lowercase()) {
            out.insert(name);
        }
    }
    // `use crate::{a::x, b}` groups.
    for (i, _) in text.match_indices("use crate::{") {
        let rest = &text[i + "use crate::{".len()..];
        let mut depth = 1;
        let mut item = String::new();
        let mut at_top = true;
        for c in rest.chars() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                ',' if depth == 1 => {
                    at_top = true;
                    item.clear();
                    continue;
                }
                _ => {}
            }
            if depth == 1 && at_top {
                if c.is_ascii_alphanumeric() || c == '_' {
                    item.push(c);
                } else if !item.is_empty() {
                    out.insert(std::mem::take(&mut item));
                    at_top = false;
                }
            }
        }
        if !item.is_empty() {
            out.insert(item);
        }
    }
    out
}

#[test]
fn core_modules_follow_the_diagram() {
    let src = repo_root().join("crates/core/src");
    let lib = fs::read_to_string(src.join("lib.rs")).unwrap();
    let rows = diagram(&lib);
    let mut rank = BTreeMap::new();
    let n = rows.len();
    for (i, (_, mods)) in rows.iter().enumerate() {
        for m in mods {
            rank.insert(m.clone(), n - i);
        }
    }
    let declared: BTreeSet<String> = lib
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let l = l.strip_prefix("pub ").unwrap_or(l);
            l.strip_prefix("mod ")?.strip_suffix(';').map(String::from)
        })
        .filter(|m| m != "testing")
        .collect();
    let missing: Vec<_> = declared.iter().filter(|m| !rank.contains_key(*m)).collect();
    assert!(
        missing.is_empty(),
        "modules missing from lib.rs's diagram: {missing:?}"
    );
    let stale: Vec<_> = rank.keys().filter(|m| !declared.contains(*m)).collect();
    assert!(
        stale.is_empty(),
        "the diagram names modules lib.rs lacks: {stale:?}"
    );

    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut wrong = Vec::new();
    for m in &declared {
        for (file, text) in sources(&src, m) {
            for u in uses(&text) {
                if u == *m || u == "testing" || !rank.contains_key(&u) {
                    continue;
                }
                if rank[&u] > rank[m] {
                    wrong.push(format!(
                        "{file}: {m} (row {}) uses {u} (row {})",
                        rank[m], rank[&u]
                    ));
                }
                edges.entry(m.clone()).or_default().insert(u);
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "back-edges against the diagram:\n{}",
        wrong.join("\n")
    );

    // No cycle anywhere (only the leaves' row can hold one after the check above).
    fn visit(
        m: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) {
        match state.get(m) {
            Some(2) => return,
            Some(1) => panic!("module cycle: {} -> {m}", path.join(" -> ")),
            _ => {}
        }
        state.insert(m.to_string(), 1);
        path.push(m.to_string());
        for u in edges.get(m).into_iter().flatten() {
            visit(u, edges, state, path);
        }
        path.pop();
        state.insert(m.to_string(), 2);
    }
    let mut state = BTreeMap::new();
    for m in &declared {
        visit(m, &edges, &mut state, &mut Vec::new());
    }
}
