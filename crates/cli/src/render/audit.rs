//! `layerlens audit` for people: one section per kind of item, each line naming its path
//! and layer.

use std::io::{self, Write};

use layerlens_core::analysis::audit::Audit;
use layerlens_core::sanitize::display_text;

use super::table::{ellipsize, size};

/// Lines shown per list before "… and N more" (the JSON has them all).
const SHOWN: usize = 20;

fn more(out: &mut dyn Write, total: usize) -> io::Result<()> {
    if total > SHOWN {
        writeln!(out, "  … and {} more (--json lists all)", total - SHOWN)?;
    }
    Ok(())
}

pub fn write_text(out: &mut dyn Write, a: &Audit) -> io::Result<()> {
    writeln!(out, "Packages by layer")?;
    if a.layers.is_empty() {
        writeln!(out, "  no dpkg or apk database")?;
    }
    for l in &a.layers {
        writeln!(
            out,
            "  L{} {} {}: {} installed ({}), {} removed  {}",
            l.layer,
            l.manager.name(),
            l.database,
            l.installed.len(),
            size(l.installed_bytes),
            l.removed.len(),
            ellipsize(&display_text(&l.step), 80)
        )?;
    }
    writeln!(out, "\nPackages in the final image: {}", a.packages.len())?;
    for p in a.packages.iter().take(SHOWN) {
        writeln!(
            out,
            "  {:<28} {:<24} {:>9}  L{}",
            display_text(&p.package.name),
            display_text(&p.package.version),
            size(p.package.installed_size),
            p.layer
        )?;
    }
    more(out, a.packages.len())?;

    writeln!(
        out,
        "\nDuplicate files: {} groups, {} a dedup would save",
        a.duplicates.len(),
        size(a.duplicate_bytes)
    )?;
    for d in a.duplicates.iter().take(SHOWN) {
        let paths: Vec<String> = d
            .paths
            .iter()
            .map(|p| format!("{} (L{})", display_text(&p.path), p.layer))
            .collect();
        writeln!(
            out,
            "  {} × {} saves {}: {}",
            d.copies,
            size(d.size),
            size(d.saving),
            ellipsize(&paths.join(", "), 160)
        )?;
    }
    more(out, a.duplicates.len())?;

    writeln!(
        out,
        "\nSetuid, setgid and world-writable: {}",
        a.special.len()
    )?;
    for s in a.special.iter().take(SHOWN) {
        let mut what = Vec::new();
        if s.setuid {
            what.push("setuid");
        }
        if s.setgid {
            what.push("setgid");
        }
        if s.world_writable {
            what.push(if s.sticky {
                "world-writable, sticky"
            } else {
                "world-writable"
            });
        }
        writeln!(
            out,
            "  {} {:<40} {:<8} {}  L{}",
            s.mode,
            display_text(&s.at.path),
            s.kind,
            what.join(", "),
            s.at.layer
        )?;
    }
    more(out, a.special.len())?;

    for (title, list) in [
        ("Shells", &a.shells),
        ("Package managers", &a.package_managers),
    ] {
        writeln!(out, "\n{title}: {}", list.len())?;
        for t in list {
            let link = t
                .link
                .as_deref()
                .map(|l| format!(" -> {}", display_text(l)))
                .unwrap_or_default();
            writeln!(
                out,
                "  {}{}  L{}",
                display_text(&t.at.path),
                link,
                t.at.layer
            )?;
        }
    }

    let login = a.users.iter().filter(|u| u.login).count();
    writeln!(
        out,
        "\nUsers: {} ({} with a login shell), groups: {}",
        a.users.len(),
        login,
        a.groups.len()
    )?;
    for u in a
        .users
        .iter()
        .filter(|u| u.login || u.uid == 0 || u.uid >= 1000)
    {
        writeln!(
            out,
            "  {:<16} uid {:<6} gid {:<6} {} {}",
            display_text(&u.name),
            u.uid,
            u.gid,
            display_text(&u.home),
            display_text(&u.shell)
        )?;
    }

    writeln!(out, "\nKeys and certificates: {} files", a.keys.len())?;
    // Private keys first: they are the finding; certificates are usually a CA bundle.
    let keys = a.keys.iter().filter(|k| k.private_keys > 0);
    for k in keys
        .chain(a.keys.iter().filter(|k| k.private_keys == 0))
        .take(SHOWN)
    {
        writeln!(
            out,
            "  {:<50} {} private key(s), {} certificate(s)  L{}",
            display_text(&k.at.path),
            k.private_keys,
            k.certificates,
            k.at.layer
        )?;
    }
    more(out, a.keys.len())?;
    Ok(())
}
