//! `compare`'s output: the text lines (`+ `, `- `, `~ `, `config `, then tab-separated
//! columns) and the JSON document (`layerlens.compare/v1`).

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use layerlens_core::compare::{AlignedLayer, Change, Comparison, PathChange, SideFigures};
use layerlens_core::sanitize::display_text;

use crate::open::{display, Loaded};
use crate::render::table::{ellipsize, signed, size};

/// The JSON document: the comparison with each side's input and image named.
pub fn json(out: &mut impl Write, c: &Comparison, sides: [&Loaded; 2]) -> Result<()> {
    let side = |l: &Loaded| {
        serde_json::json!({
            "image": l.which(),
            "tags": l.image().reference.tags,
            "id": l.image().id,
            "platform": l.image().config.platform(),
        })
    };
    let mut doc = serde_json::to_value(c).context("encoding the comparison")?;
    if let Some(o) = doc.as_object_mut() {
        o.insert("schema".into(), "layerlens.compare/v1".into());
        o.insert("image_a".into(), side(sides[0]));
        o.insert("image_b".into(), side(sides[1]));
    }
    serde_json::to_writer(&mut *out, &doc).context("writing JSON")?;
    writeln!(out)?;
    Ok(())
}

/// The text report: the two images, the layer alignment, sizes and waste, the directories
/// with the largest deltas (`dirs` of them), every differing path, every config difference,
/// the history where it differs, and the verdict.
pub fn text(out: &mut impl Write, c: &Comparison, inputs: [&Path; 2], dirs: usize) -> Result<()> {
    for (name, input, f) in [("A", inputs[0], &c.a), ("B", inputs[1], &c.b)] {
        writeln!(
            out,
            "{name}  {}: {} layers, {} paths, {} in files",
            display(input),
            f.layers,
            f.paths,
            size(f.final_bytes)
        )?;
    }
    let l = &c.layers;
    writeln!(
        out,
        "layers  {} shared, then {} in A and {} in B",
        l.shared.len(),
        l.a.len(),
        l.b.len()
    )?;
    for (tag, layers) in [("=", &l.shared), ("A", &l.a), ("B", &l.b)] {
        for layer in layers {
            layer_line(out, tag, layer)?;
        }
    }
    // Above the shared base, layer by layer: B's content bytes against A's at each position.
    for i in 0..l.a.len().max(l.b.len()) {
        let (x, y) = (l.a.get(i), l.b.get(i));
        let position = x.or(y).map_or(0, |z| z.position);
        let bytes = |z: Option<&AlignedLayer>| z.map_or(0, |z| z.size);
        let shown = |z: Option<&AlignedLayer>| z.map_or("-".into(), |z| size(z.size));
        writeln!(
            out,
            "  Δ {position}\t{} -> {}\t{}",
            shown(x),
            shown(y),
            signed(bytes(y) as i64 - bytes(x) as i64)
        )?;
    }
    sizes(out, &c.a, &c.b)?;
    for d in c.dirs.iter().take(dirs) {
        writeln!(
            out,
            "dir  {}\t{}\t{} added, {} removed, {} modified",
            d.path,
            signed(d.delta()),
            d.added,
            d.removed,
            d.modified
        )?;
    }
    for p in &c.paths {
        path_line(out, p)?;
    }
    for k in &c.config {
        let field = match &k.key {
            Some(key) => format!("{}.{}", k.field, display_text(key)),
            None => k.field.clone(),
        };
        let v = |s: &Option<String>| s.as_deref().map_or("(none)".into(), display_text);
        writeln!(out, "config {field}\t{} -> {}", v(&k.a), v(&k.b))?;
    }
    if c.history.differ {
        let (ha, hb) = (&c.history.a, &c.history.b);
        for i in 0..ha.len().max(hb.len()) {
            let (x, y) = (ha.get(i), hb.get(i));
            if x == y {
                continue;
            }
            let s = |h: Option<&layerlens_core::compare::Step>| {
                h.map_or("(none)".into(), |h| ellipsize(&display_text(&h.step), 60))
            };
            writeln!(out, "history {i}\tA: {}\tB: {}", s(x), s(y))?;
        }
    }
    if c.equal {
        writeln!(out, "equal")?;
    } else {
        writeln!(
            out,
            "different: {} paths, {} config{}{}",
            c.paths.len(),
            c.config.len(),
            if c.strict.history && c.history.differ {
                ", history"
            } else {
                ""
            },
            if c.strict.layers && !c.layers.same_layers() {
                ", layers"
            } else {
                ""
            }
        )?;
    }
    Ok(())
}

fn layer_line(out: &mut impl Write, tag: &str, l: &AlignedLayer) -> Result<()> {
    let step = l.step.as_deref().map(display_text).unwrap_or_default();
    writeln!(
        out,
        "  {tag} {}\t{}\t{}\t{} entries\t{}",
        l.position,
        &l.chain_id.to_string()[..19],
        size(l.size),
        l.entries,
        ellipsize(&step, 60)
    )?;
    Ok(())
}

fn sizes(out: &mut impl Write, a: &SideFigures, b: &SideFigures) -> Result<()> {
    let d = |x: u64, y: u64| signed(y as i64 - x as i64);
    writeln!(
        out,
        "size  files {} -> {} ({}), layers {} -> {} ({})",
        size(a.final_bytes),
        size(b.final_bytes),
        d(a.final_bytes, b.final_bytes),
        size(a.figures.shipped_bytes),
        size(b.figures.shipped_bytes),
        d(a.figures.shipped_bytes, b.figures.shipped_bytes)
    )?;
    writeln!(
        out,
        "waste  dive: efficiency {:.4} -> {:.4}, wasted {} -> {}; layerlens: dead {} -> {} ({}), efficiency {:.4} -> {:.4}",
        a.dive_efficiency,
        b.dive_efficiency,
        size(a.dive_wasted_bytes),
        size(b.dive_wasted_bytes),
        size(a.figures.dead_bytes),
        size(b.figures.dead_bytes),
        d(a.figures.dead_bytes, b.figures.dead_bytes),
        a.figures.efficiency,
        b.figures.efficiency
    )?;
    Ok(())
}

fn path_line(out: &mut impl Write, p: &PathChange) -> Result<()> {
    let t = |x: Option<char>| x.map_or(String::new(), String::from);
    let detail = match p.change {
        Change::Added => format!("{}\t{}", t(p.type_b), p.size_b.unwrap_or(0)),
        Change::Removed => format!("{}\t{}", t(p.type_a), p.size_a.unwrap_or(0)),
        Change::Modified => {
            let attrs: Vec<&str> = p.attrs.iter().map(|a| a.name()).collect();
            let types = if p.type_a == p.type_b {
                t(p.type_a)
            } else {
                format!("{}>{}", t(p.type_a), t(p.type_b))
            };
            format!(
                "{}\t{types}\t{} -> {} ({})",
                attrs.join(","),
                p.size_a.unwrap_or(0),
                p.size_b.unwrap_or(0),
                signed_bytes(p.delta())
            )
        }
    };
    writeln!(out, "{} {}\t{detail}", p.change.mark(), p.path)?;
    Ok(())
}

fn signed_bytes(v: i64) -> String {
    if v > 0 {
        format!("+{v}")
    } else {
        v.to_string()
    }
}
