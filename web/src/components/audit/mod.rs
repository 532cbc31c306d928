//! The Audit panel: what the final image holds, as `layerlens audit` lists it — packages each
//! layer installed, duplicate files, setuid / setgid / world-writable paths, shells and
//! package managers, users and groups, keys and certificates. Every path opens in the file
//! view (and its history), every layer number selects the layer. The panel keeps its own
//! state: the audit runs on demand (it reads file contents) and arrives through
//! [`ImageWorker::on_audit`].

use std::rc::Rc;

use layerlens_core::analysis::audit::{Audit, Located};
use layerlens_core::present::human_size;
use layerlens_core::sanitize::display_text;
use yew::prelude::*;

use crate::hooks::use_image_worker::ImageWorker;
use crate::protocol::{AuditEvent, AuditRequest};

/// Props of [`AuditPanel`].
#[derive(Properties, PartialEq)]
pub struct AuditPanelProps {
    /// The worker.
    pub worker: ImageWorker,
    /// The image shown (a new one clears the audit).
    pub image: AttrValue,
    /// Show a path in the file view after a layer: `(layer, path without the leading /)`.
    pub onfocus: Callback<(usize, String)>,
    /// Select a layer.
    pub onselect: Callback<usize>,
    /// Whether the worker is busy.
    pub busy: bool,
}

/// Rows listed before the rest is folded away.
const SHOWN: usize = 50;

fn layer_link(layer: u32, onselect: &Callback<usize>) -> Html {
    let onclick = onselect.reform(move |_: MouseEvent| layer as usize);
    html! { <button type="button" class="link audit-layer" data-layer={layer.to_string()} {onclick}>{ format!("L{layer}") }</button> }
}

fn path_link(at: &Located, onfocus: &Callback<(usize, String)>) -> Html {
    let (layer, path) = (
        at.layer as usize,
        at.path.trim_start_matches('/').to_string(),
    );
    let onclick = onfocus.reform(move |_: MouseEvent| (layer, path.clone()));
    html! { <button type="button" class="link mono path audit-path" data-path={at.path.clone()} {onclick}>{ display_text(&at.path) }</button> }
}

fn view(a: &Audit, p: &AuditPanelProps) -> Html {
    let (onfocus, onselect) = (&p.onfocus, &p.onselect);
    let login = a.users.iter().filter(|u| u.login).count();
    html! {
        <>
            <h3 id="audit-packages-title">{ "Packages by layer" }</h3>
            if a.layers.is_empty() { <p class="muted">{ "No dpkg or apk database in any layer." }</p> }
            <table id="audit-layers" class="audit-table">
                <thead><tr><th>{ "layer" }</th><th>{ "database" }</th><th>{ "installed" }</th><th>{ "installed size" }</th><th>{ "removed" }</th><th>{ "step" }</th></tr></thead>
                <tbody>
                    for l in a.layers.iter() {
                        <tr class="audit-layer-row" data-layer={l.layer.to_string()} data-manager={l.manager.name()} data-installed={l.installed.len().to_string()} data-installed-bytes={l.installed_bytes.to_string()} data-removed={l.removed.len().to_string()}>
                            <td>{ layer_link(l.layer, onselect) }</td>
                            <td>{ format!("{} {}", l.manager.name(), l.database) }</td>
                            <td>{ l.installed.len() }</td>
                            <td>{ human_size(l.installed_bytes) }</td>
                            <td>{ l.removed.len() }</td>
                            <td class="mono">{ display_text(&l.step) }</td>
                        </tr>
                    }
                </tbody>
            </table>
            for l in a.layers.iter().filter(|l| !l.installed.is_empty()) {
                <p class="audit-sentence">{ format!("Layer {} ({}) installed {} package{} ({}).", l.layer, display_text(&l.step), l.installed.len(), if l.installed.len() == 1 { "" } else { "s" }, human_size(l.installed_bytes)) }</p>
            }
            <details id="audit-final-packages" data-count={a.packages.len().to_string()}>
                <summary>{ format!("Packages in the final image: {}", a.packages.len()) }</summary>
                <table class="audit-table">
                    <thead><tr><th>{ "name" }</th><th>{ "version" }</th><th>{ "size" }</th><th>{ "layer" }</th></tr></thead>
                    <tbody>
                        for p in a.packages.iter() {
                            <tr><td>{ display_text(&p.package.name) }</td><td>{ display_text(&p.package.version) }</td><td>{ human_size(p.package.installed_size) }</td><td>{ layer_link(p.layer, onselect) }</td></tr>
                        }
                    </tbody>
                </table>
            </details>

            <h3 id="audit-duplicates-title" data-groups={a.duplicates.len().to_string()} data-bytes={a.duplicate_bytes.to_string()}>
                { format!("Duplicate files: {} groups, {} a dedup would save", a.duplicates.len(), human_size(a.duplicate_bytes)) }
            </h3>
            <ul id="audit-duplicates">
                for d in a.duplicates.iter().take(SHOWN) {
                    <li class="audit-duplicate" data-saving={d.saving.to_string()} data-copies={d.copies.to_string()}>
                        { format!("{} × {} (saves {}): ", d.copies, human_size(d.size), human_size(d.saving)) }
                        for p in d.paths.iter() { { path_link(p, onfocus) }{ " " } }
                    </li>
                }
            </ul>
            if a.duplicates.len() > SHOWN { <p class="muted">{ format!("… and {} more groups (layerlens audit --json lists all)", a.duplicates.len() - SHOWN) }</p> }

            <h3 id="audit-special-title" data-count={a.special.len().to_string()}>{ format!("Setuid, setgid and world-writable: {}", a.special.len()) }</h3>
            <table id="audit-special" class="audit-table">
                <thead><tr><th>{ "mode" }</th><th>{ "path" }</th><th>{ "type" }</th><th>{ "what" }</th><th>{ "layer" }</th></tr></thead>
                <tbody>
                    for s in a.special.iter() {
                        <tr class="audit-special-row" data-path={s.at.path.clone()} data-mode={s.mode.clone()}>
                            <td class="mono">{ s.mode.clone() }</td>
                            <td>{ path_link(&s.at, onfocus) }</td>
                            <td>{ s.kind.clone() }</td>
                            <td>{ [(s.setuid, "setuid"), (s.setgid, "setgid"), (s.world_writable, if s.sticky { "world-writable, sticky" } else { "world-writable" })].iter().filter(|(on, _)| *on).map(|(_, w)| *w).collect::<Vec<_>>().join(", ") }</td>
                            <td>{ layer_link(s.at.layer, onselect) }</td>
                        </tr>
                    }
                </tbody>
            </table>

            for (id, title, list) in [("audit-shells", "Shells", &a.shells), ("audit-package-managers", "Package managers", &a.package_managers)] {
                <h3 data-count={list.len().to_string()} id={format!("{id}-title")}>{ format!("{title}: {}", list.len()) }</h3>
                <ul id={id}>
                    for t in list.iter() {
                        <li data-path={t.at.path.clone()}>{ path_link(&t.at, onfocus) }{ t.link.as_deref().map(|l| format!(" → {}", display_text(l))).unwrap_or_default() }{ " " }{ layer_link(t.at.layer, onselect) }</li>
                    }
                </ul>
            }

            <h3 id="audit-users-title" data-users={a.users.len().to_string()} data-groups={a.groups.len().to_string()} data-login={login.to_string()}>
                { format!("Users: {} ({} with a login shell), groups: {}", a.users.len(), login, a.groups.len()) }
            </h3>
            if let Some(at) = &a.passwd { <p>{ path_link(at, onfocus) }{ " " }{ layer_link(at.layer, onselect) }</p> }
            <table id="audit-users" class="audit-table">
                <thead><tr><th>{ "user" }</th><th>{ "uid" }</th><th>{ "gid" }</th><th>{ "home" }</th><th>{ "shell" }</th></tr></thead>
                <tbody>
                    for u in a.users.iter() {
                        <tr class={classes!(u.login.then_some("audit-login"))}><td>{ display_text(&u.name) }</td><td>{ u.uid }</td><td>{ u.gid }</td><td class="mono">{ display_text(&u.home) }</td><td class="mono">{ display_text(&u.shell) }</td></tr>
                    }
                </tbody>
            </table>
            <details>
                <summary>{ format!("Groups: {}", a.groups.len()) }</summary>
                if let Some(at) = &a.group { <p>{ path_link(at, onfocus) }</p> }
                <ul id="audit-groups">
                    for g in a.groups.iter() {
                        <li>{ format!("{} ({}){}", display_text(&g.name), g.gid, if g.members.is_empty() { String::new() } else { format!(": {}", display_text(&g.members.join(", "))) }) }</li>
                    }
                </ul>
            </details>

            <h3 id="audit-keys-title" data-count={a.keys.len().to_string()} data-private={a.keys.iter().filter(|k| k.private_keys > 0).count().to_string()}>
                { format!("Keys and certificates: {} files", a.keys.len()) }
            </h3>
            <ul id="audit-keys">
                for k in a.keys.iter().filter(|k| k.private_keys > 0).chain(a.keys.iter().filter(|k| k.private_keys == 0)).take(SHOWN) {
                    <li class={classes!(if k.private_keys > 0 { "audit-private-key" } else { "audit-certificate" })} data-path={k.at.path.clone()}>
                        { path_link(&k.at, onfocus) }{ format!(" — {} private key(s), {} certificate(s) ", k.private_keys, k.certificates) }{ layer_link(k.at.layer, onselect) }
                    </li>
                }
            </ul>
            if a.keys.len() > SHOWN { <p class="muted">{ format!("… and {} more files (layerlens audit --json lists all)", a.keys.len() - SHOWN) }</p> }
            <p class="muted" id="audit-read">{ format!("Read {} of file contents.", human_size(a.bytes_read)) }</p>
        </>
    }
}

/// Shows the Audit panel.
#[component]
pub fn AuditPanel(props: &AuditPanelProps) -> Html {
    let audit = use_state(|| None::<Rc<Audit>>);
    {
        let (worker, audit) = (props.worker.clone(), audit.clone());
        use_effect_with(props.image.clone(), move |_| {
            audit.set(None);
            worker.on_audit(Callback::from(move |event: AuditEvent| match event {
                AuditEvent::Audited { audit: a } => audit.set(Some(Rc::new(*a))),
            }));
        });
    }
    let run = {
        let worker = props.worker.clone();
        Callback::from(move |_: MouseEvent| worker.audit(AuditRequest::Run))
    };
    html! {
        <section id="audit" class="audit" aria-labelledby="audit-title">
            <h2 id="audit-title" tabindex="-1">{ "Audit" }</h2>
            <p class="muted">{ "What the final image holds: packages each layer installed (dpkg and apk databases), duplicate files, special permissions, shells and package managers, users and groups, keys and certificates — as layerlens audit lists them. It reads the package databases, account files, key files and the files that share a size." }</p>
            <p><button id="audit-run" type="button" onclick={run} disabled={props.busy}>{ if audit.is_some() { "Run the audit again" } else { "Run the audit" } }</button></p>
            if let Some(a) = (*audit).clone() { <div id="audit-result">{ view(&a, props) }</div> }
        </section>
    }
}
