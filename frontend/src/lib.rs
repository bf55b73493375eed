//! The browser entry: hydrates the server-rendered pages of the web UI.
#![forbid(unsafe_code)]
// The typed views of the pages nest deeply.
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::ui::App);
}
