//! The size map drawn as inline SVG text: the report embeds it and the page shows the same
//! markup, so both draw the very rectangles [`Treemap`] laid out.
//!
//! Every leaf tile is a `<g>` carrying its figures (`data-tile`, `data-path`, `data-size`,
//! `data-dead`, `data-layer`), a `<title>` and an `aria-label` for screen readers. Drawn
//! `interactive`, leaves are buttons with a roving `tabindex` (the first leaf is the one
//! Tab reaches); the host moves it with the arrow keys ([`neighbour`]).

use alloc::string::String;
use core::fmt::Write;

use super::treemap::{Tile, TileKind, Treemap};
use crate::present::human_size;

/// Fill of each layer's tiles, by position modulo its length (distinct hues, dark text
/// readable on all of them).
pub const LAYER_COLOURS: [&str; 12] = [
    "#8fb8de", "#f2b880", "#9ed39b", "#e99a9a", "#c3a6de", "#d8c58a", "#8fd0cb", "#efa8cf",
    "#b7c68b", "#a9b4f0", "#e0b39a", "#9bc7a9",
];

/// Fill of directories drawn as one block and of "other" tiles.
pub const GREY: &str = "#c9ccd1";

/// The colour of layer `i`.
pub fn layer_colour(i: usize) -> &'static str {
    LAYER_COLOURS
        .get(i % LAYER_COLOURS.len())
        .copied()
        .unwrap_or(GREY)
}

/// Text made safe inside an element or a double-quoted attribute.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// What a tile is, in words (its `<title>` and `aria-label`).
pub fn describe(t: &Tile) -> String {
    let dead = if t.dead == 0 {
        String::new()
    } else if t.dead == t.size {
        String::from(", dead (deleted or replaced later, still shipped)")
    } else {
        alloc::format!(", {} dead", human_size(t.dead))
    };
    match t.kind {
        TileKind::File => alloc::format!(
            "{}: {}, layer {}{dead}",
            t.path,
            human_size(t.size),
            t.layer.unwrap_or(0)
        ),
        TileKind::Dir => alloc::format!(
            "{}/: {} in {} files{dead}",
            t.path.trim_end_matches('/'),
            human_size(t.size),
            t.files
        ),
        // Starts with the tile's visible text ("N more"): a control's name must contain it.
        TileKind::Other => alloc::format!(
            "{}: smaller items in {}: {} in {} files{dead}",
            t.name,
            t.path,
            human_size(t.size),
            t.files
        ),
    }
}

/// The map as an `<svg>` element (no XML prolog: it is meant to sit inside HTML).
pub fn svg(map: &Treemap, interactive: bool) -> String {
    let mut s = String::new();
    let what = match map.scope {
        super::treemap::Scope::Final => String::from("every file the image ships"),
        super::treemap::Scope::Layer(n) => alloc::format!("the files of layer {n}"),
    };
    let _ = write!(
        s,
        "<svg class=\"treemap\" viewBox=\"0 0 {} {}\" role=\"group\" aria-label=\"Size map of {what}: {} in {} files, {} dead{}\">",
        map.width,
        map.height,
        human_size(map.total),
        map.files,
        human_size(map.dead),
        if interactive { "; arrow keys move between tiles, Enter opens the path" } else { "" }
    );
    s.push_str(
        "<defs><pattern id=\"tm-dead\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" \
         patternTransform=\"rotate(45)\"><rect width=\"2.5\" height=\"6\" fill=\"#3a3a3a\" \
         fill-opacity=\"0.55\"/></pattern></defs>",
    );
    let first_leaf = map.tiles.iter().position(Tile::is_leaf);
    for (i, t) in map.tiles.iter().enumerate() {
        if t.open {
            let _ = write!(
                s,
                "<rect class=\"tm-frame\" x=\"{:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{:.2}\" fill=\"#f4f5f7\" stroke=\"#8a8f98\" stroke-width=\"0.6\"/>",
                t.x, t.y, t.w, t.h
            );
            continue;
        }
        let fill = match (t.kind, t.layer) {
            (TileKind::File, Some(l)) => layer_colour(l as usize),
            _ => GREY,
        };
        let label = escape(&describe(t));
        let role = if interactive {
            let tab = if Some(i) == first_leaf { 0 } else { -1 };
            alloc::format!(" role=\"button\" tabindex=\"{tab}\"")
        } else {
            String::from(" role=\"img\"")
        };
        let _ = write!(
            s,
            "<g class=\"tm-tile tm-{}\" data-tile=\"{i}\" data-path=\"{}\" data-size=\"{}\" data-dead=\"{}\" data-layer=\"{}\"{role} aria-label=\"{label}\"><title>{label}</title>",
            match t.kind {
                TileKind::File => "file",
                TileKind::Dir => "dir",
                TileKind::Other => "other",
            },
            escape(&t.path),
            t.size,
            t.dead,
            t.layer.map_or(String::new(), |l| alloc::format!("{l}")),
        );
        let _ = write!(
            s,
            "<rect x=\"{:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{:.2}\" fill=\"{fill}\" stroke=\"#fff\" stroke-width=\"0.8\"/>",
            t.x, t.y, t.w, t.h
        );
        if t.dead > 0 && t.size > 0 {
            // The dead share, hatched along the bottom (all of it for a dead file).
            let h = t.h * t.dead as f64 / t.size as f64;
            let _ = write!(
                s,
                "<rect class=\"tm-dead\" x=\"{:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{:.2}\" fill=\"url(#tm-dead)\"/>",
                t.x,
                t.y + t.h - h,
                t.w,
                h
            );
        }
        // The name only where all of it fits (about 6.6 px a character at 11 px): a cut name
        // would no longer be part of the tile's accessible name, and an overflowing one would
        // run past the tile. The title and the aria-label always have it.
        if t.h >= 14.0 && 6.0 + 6.6 * t.name.chars().count() as f64 <= t.w {
            let _ = write!(
                s,
                "<text x=\"{:.2}\" y=\"{:.2}\" font-size=\"11\" fill=\"#1d1f23\" aria-hidden=\"true\">{}</text>",
                t.x + 3.0,
                t.y + 12.0,
                escape(&t.name)
            );
        }
        s.push_str("</g>");
    }
    s.push_str("</svg>");
    s
}

/// Arrow-key movement: the leaf tile nearest to tile `from` in direction (`dx`, `dy`)
/// (one of them ±1, the other 0), by the distance between centres with a penalty for
/// drifting sideways; `None` at the edge.
pub fn neighbour(map: &Treemap, from: usize, dx: i32, dy: i32) -> Option<usize> {
    let t = map.tiles.get(from)?;
    let (cx, cy) = (t.x + t.w / 2.0, t.y + t.h / 2.0);
    let mut best: Option<(f64, usize)> = None;
    for (i, o) in map.tiles.iter().enumerate() {
        if i == from || !o.is_leaf() {
            continue;
        }
        let (ox, oy) = (o.x + o.w / 2.0, o.y + o.h / 2.0);
        let (ahead, side) = if dx != 0 {
            ((ox - cx) * dx as f64, (oy - cy).abs())
        } else {
            ((oy - cy) * dy as f64, (ox - cx).abs())
        };
        if ahead <= 0.5 {
            continue;
        }
        let score = ahead + 2.0 * side;
        if best.is_none_or(|(b, _)| score < b) {
            best = Some((score, i));
        }
    }
    best.map(|(_, i)| i)
}
