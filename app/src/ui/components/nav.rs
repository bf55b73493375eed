//! The top bar: where to go, who is signed in, sign out.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::ui::server_fns::whoami;

#[component]
pub fn Nav() -> impl IntoView {
    let session = Resource::new(|| (), |_| whoami());
    view! {
        <header class="topbar">
            <a class="skip" href="#main">"Skip to content"</a>
            <A href="/" attr:class="brand">"MISP modules"</A>
            <nav aria-label="Main">
                <A href="/">"Query"</A>
                <A href="/history">"History"</A>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        match session.await {
                            Ok(Some(user)) => {
                                let admin = user
                                    .is_admin
                                    .then(|| view! { <A href="/admin">"Admin"</A> });
                                view! {
                                    {admin}
                                    <span class="who">{user.username}</span>
                                    <form method="post" action="/action/logout" class="inline">
                                        <button type="submit" class="link">"Sign out"</button>
                                    </form>
                                }
                                    .into_any()
                            }
                            _ => view! { <A href="/login">"Sign in"</A> }.into_any(),
                        }
                    })}
                </Suspense>
            </nav>
        </header>
    }
}
