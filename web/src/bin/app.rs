//! The page's entry point: renders [`layerlens_web::App`] into `<body>`.

fn main() {
    yew::Renderer::<layerlens_web::App>::new().render();
}
