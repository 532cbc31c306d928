//! The image's history written back as Dockerfile instructions, each linked to the layer it
//! made (or marked empty: `ENV`, `LABEL`, `CMD` … make none).
//!
//! Builders record the step in `created_by` in their own ways: Docker's classic builder and
//! buildah as `/bin/sh -c #(nop) ENV …` for metadata and `/bin/sh -c CMD` for `RUN`; BuildKit
//! as `RUN /bin/sh -c CMD # buildkit`, with `|N K=V …` before a `RUN` that saw build args;
//! kaniko as the instruction itself. Steps no Dockerfile wrote (`umoci repack`, `bazel
//! build …`) are kept as comments.

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::image::ImageConfig;

/// Dockerfile keywords, to tell a recorded instruction from a tool's free text.
const KEYWORDS: &[&str] = &[
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

/// One history entry as an instruction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instruction {
    /// Position in the config's history.
    pub step: usize,
    /// The layer it made; `None` for an empty layer.
    pub layer: Option<usize>,
    /// The keyword (`RUN`, `COPY`, …), or `None` when the step is no Dockerfile
    /// instruction (then [`Instruction::text`] is the recorded text, shown as a comment).
    pub keyword: Option<String>,
    /// The instruction (`RUN apt-get update`), or the recorded text.
    pub text: String,
    /// `created` of the step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The step's comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl Instruction {
    /// The Dockerfile line(s): the instruction, or `# text` for a step no Dockerfile wrote.
    /// Line breaks inside become continuations.
    pub fn line(&self) -> String {
        match self.keyword {
            Some(_) => self.text.replace('\n', " \\\n"),
            None => {
                let mut s = String::from("# ");
                s.push_str(&self.text.replace('\n', "\n# "));
                s
            }
        }
    }
}

/// Every history entry of `config` (empty layers included) as an instruction, in order;
/// `layers` is the image's layer count (history entries beyond it are not linked, layers
/// beyond the history get an entry of their own).
pub fn instructions(config: &ImageConfig, layers: usize) -> Vec<Instruction> {
    let mut out = Vec::with_capacity(config.history.len());
    let mut next_layer = 0usize;
    for (step, h) in config.history.iter().enumerate() {
        let layer = if h.empty_layer || next_layer >= layers {
            None
        } else {
            next_layer += 1;
            Some(next_layer - 1)
        };
        let (keyword, text) = match h.created_by.as_deref().map(str::trim) {
            Some(c) if !c.is_empty() => instruction(c),
            _ => (None, String::from("(no step recorded)")),
        };
        out.push(Instruction {
            step,
            layer,
            keyword,
            text,
            created: h.created.clone(),
            comment: h.comment.clone().filter(|c| !c.is_empty()),
        });
    }
    for layer in next_layer..layers {
        out.push(Instruction {
            step: out.len(),
            layer: Some(layer),
            keyword: None,
            text: String::from("(no history entry for this layer)"),
            created: None,
            comment: None,
        });
    }
    out
}

/// The whole history as a Dockerfile, each instruction under a comment naming its layer.
pub fn dockerfile(config: &ImageConfig, layers: usize) -> String {
    let mut out = String::new();
    for i in instructions(config, layers) {
        match i.layer {
            Some(l) => out.push_str(&alloc::format!("# layer {l}\n")),
            None => out.push_str("# empty layer\n"),
        }
        out.push_str(&i.line());
        out.push('\n');
    }
    out
}

/// A recorded step as (keyword, instruction).
pub fn instruction(created_by: &str) -> (Option<String>, String) {
    let mut s = created_by.trim();
    // BuildKit marks its steps.
    if let Some(rest) = s.strip_suffix("# buildkit") {
        s = rest.trim_end();
    }
    if let Some(rest) = s.strip_prefix("/bin/sh -c #(nop)") {
        return keyworded(rest.trim());
    }
    // `RUN` with build args: `|2 A=1 B=2 /bin/sh -c …` (classic and BuildKit).
    let s = strip_build_args(s);
    if let Some(cmd) = s
        .strip_prefix("RUN /bin/sh -c ")
        .or_else(|| s.strip_prefix("/bin/sh -c "))
    {
        return (
            Some(String::from("RUN")),
            alloc::format!("RUN {}", cmd.trim()),
        );
    }
    keyworded(s)
}

/// `ADD file:… in /dest` (how the classic builder records a copy) as `ADD file:… /dest`.
fn keyworded(s: &str) -> (Option<String>, String) {
    let word = s.split_whitespace().next().unwrap_or("");
    let upper = word.to_ascii_uppercase();
    if !KEYWORDS.contains(&upper.as_str()) {
        return (None, String::from(s));
    }
    let rest = s[word.len()..].trim();
    let rest = match upper.as_str() {
        "ADD" | "COPY" => match rest.split_once(" in ") {
            Some((src, dest)) if !src.contains(' ') || src.starts_with("--") => {
                alloc::format!("{src} {}", dest.trim())
            }
            _ => String::from(rest),
        },
        _ => String::from(rest),
    };
    let text = if rest.is_empty() {
        upper.clone()
    } else {
        alloc::format!("{upper} {rest}")
    };
    (Some(upper), text)
}

/// Drops the `|N NAME=value …` prefix of a `RUN` that saw `N` build args.
fn strip_build_args(s: &str) -> &str {
    let Some(rest) = s.strip_prefix('|') else {
        return s;
    };
    let (count, mut rest) = match rest.split_once(' ') {
        Some((n, r)) => match n.parse::<usize>() {
            Ok(n) => (n, r),
            Err(_) => return s,
        },
        None => return s,
    };
    for _ in 0..count {
        match rest.split_once(' ') {
            Some((arg, r)) if arg.contains('=') => rest = r,
            _ => return s,
        }
    }
    rest
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn text(s: &str) -> String {
        instruction(s).1
    }

    #[test]
    fn builders_steps_become_instructions() {
        // Classic builder and buildah.
        assert_eq!(text("/bin/sh -c #(nop)  CMD [\"sh\"]"), "CMD [\"sh\"]");
        assert_eq!(
            text("/bin/sh -c #(nop) ADD file:ce02 in / "),
            "ADD file:ce02 /"
        );
        assert_eq!(
            text("/bin/sh -c #(nop) COPY dir:98fa in /app/ "),
            "COPY dir:98fa /app/"
        );
        assert_eq!(text("/bin/sh -c #(nop) ENV TINY=1"), "ENV TINY=1");
        assert_eq!(text("/bin/sh -c mkdir -p /a"), "RUN mkdir -p /a");
        assert_eq!(
            text("/bin/sh -c [\"/bin/busybox\", \"--install\"]"),
            "RUN [\"/bin/busybox\", \"--install\"]"
        );
        // BuildKit, with and without build args.
        assert_eq!(text("COPY hello / # buildkit"), "COPY hello /");
        assert_eq!(
            text("RUN /bin/sh -c apt-get update # buildkit"),
            "RUN apt-get update"
        );
        assert_eq!(
            text("|2 A=1 B=two /bin/sh -c echo $A # buildkit"),
            "RUN echo $A"
        );
        // kaniko records the instruction itself.
        assert_eq!(
            text("ADD README.md /somefile.txt"),
            "ADD README.md /somefile.txt"
        );
        // Not from a Dockerfile.
        assert_eq!(
            instruction("umoci repack"),
            (None, String::from("umoci repack"))
        );
    }

    #[test]
    fn empty_layers_are_kept_and_layers_linked() {
        let json = br#"{"rootfs":{"type":"layers","diff_ids":[]},"history":[
            {"created_by":"/bin/sh -c #(nop) ADD file:a in / "},
            {"created_by":"/bin/sh -c #(nop)  ENV X=1","empty_layer":true},
            {"created_by":"/bin/sh -c make"}]}"#;
        let c = ImageConfig::parse(json).unwrap();
        let all = instructions(&c, 3);
        let layers: Vec<_> = all.iter().map(|i| i.layer).collect();
        assert_eq!(layers, [Some(0), None, Some(1), Some(2)]);
        assert_eq!(
            dockerfile(&c, 2),
            "# layer 0\nADD file:a /\n# empty layer\nENV X=1\n# layer 1\nRUN make\n"
        );
    }
}
