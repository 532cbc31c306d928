//! The page's entry point: renders [`layerlens_web::App`] into `<body>`.
#![forbid(unsafe_code)]

fn main() {
    // Before any map: the file tree keys its path index with these.
    layerlens_web::hash_keys::seed_page();
    yew::Renderer::<layerlens_web::App>::new().render();
}
