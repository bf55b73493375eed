//! Sign in. A plain form: it works before the wasm bundle arrives.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::ui::server_fns::sign_in_warning;

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let next = query.with_untracked(|q| q.get("next").unwrap_or_else(|| "/".to_owned()));
    let message = query.with_untracked(|q| {
        q.get("error").map(|code| match code.as_str() {
            "throttled" => "Too many failed attempts. Wait a minute and try again.",
            "unavailable" => "Signing in is not possible right now.",
            _ => "Wrong username or password.",
        })
    });
    let warning = Resource::new(|| (), |_| sign_in_warning());
    view! {
        <h1>"Sign in"</h1>
        {message.map(|m| view! { <p class="error" role="alert">{m}</p> })}
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                warning.await.ok().flatten().map(|w| view! { <p class="warning-box" role="note">{w}</p> })
            })}
        </Suspense>
        <form method="post" action="/action/login" class="login">
            <input type="hidden" name="next" value=next/>
            <label for="username">"Username"</label>
            <input id="username" name="username" autocomplete="username" required autofocus/>
            <label for="password">"Password"</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required/>
            <button type="submit" class="primary">"Sign in"</button>
        </form>
    }
}
