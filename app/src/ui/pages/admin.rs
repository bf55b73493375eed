//! Administration: modules on or off, their settings (write-only), users.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::error_text;
use crate::ui::server_fns::{admin_modules, get_users};
use crate::web::{AdminModuleView, SettingState, UserView};

#[component]
pub fn AdminPage() -> impl IntoView {
    let query = use_query_map();
    let notice = query.with_untracked(|q| q.get("notice"));
    let error = query.with_untracked(|q| q.get("error"));
    let modules = Resource::new(|| (), |_| admin_modules());
    let users = Resource::new(|| (), |_| get_users());
    // Narrows the module list as one types (needs the wasm bundle; without it all show).
    let filter = RwSignal::new(String::new());
    view! {
        <h1>"Administration"</h1>
        {notice.map(|n| view! { <p class="notice" role="status">{n}</p> })}
        {error.map(|e| view! { <p class="error" role="alert">{e}</p> })}
        <h2>"Users"</h2>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match users.await {
                    Ok(list) => view! { <UserAdmin list/> }.into_any(),
                    Err(e) => view! { <p class="error">{error_text(&e)}</p> }.into_any(),
                }
            })}
        </Suspense>
        <h2>"Modules"</h2>
        <p class="muted">
            "A disabled module is off everywhere: it leaves the query page and the module API (its /modules list and /query). "
            "Stored settings are encrypted and never shown again. They fill the keys that a query leaves empty, in this UI and on the module API."
        </p>
        <label for="admin-module-search">"Find a module"</label>
        <input
            id="admin-module-search"
            type="search"
            placeholder="Name or type"
            on:input=move |ev| filter.set(event_target_value(&ev).trim().to_lowercase())
        />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match modules.await {
                    Ok(list) => list
                        .into_iter()
                        .map(|module| module_row(module, filter))
                        .collect_view()
                        .into_any(),
                    Err(e) => view! { <p class="error">{error_text(&e)}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn UserAdmin(list: Vec<UserView>) -> impl IntoView {
    view! {
        <table class="users">
            <thead><tr><th>"User"</th><th>"Role"</th><th>"New password"</th><th></th></tr></thead>
            <tbody>
                {list
                    .into_iter()
                    .map(|user| {
                        let label = format!("New password for {}", user.username);
                        view! {
                            <tr>
                                <td>{user.username.clone()}</td>
                                <td>{if user.is_admin { "admin" } else { "analyst" }}</td>
                                <td>
                                    <form method="post" action="/action/admin/password" class="inline">
                                        <input type="hidden" name="id" value=user.id/>
                                        <input type="password" name="password" autocomplete="new-password" aria-label=label required minlength="12"/>
                                        <button type="submit">"Set"</button>
                                    </form>
                                </td>
                                <td>
                                    <form method="post" action="/action/admin/delete-user" class="inline">
                                        <input type="hidden" name="id" value=user.id/>
                                        <button type="submit" class="danger">"Delete"</button>
                                    </form>
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        <form method="post" action="/action/admin/users" class="new-user">
            <h3>"New user"</h3>
            <label for="new-username">"Username"</label>
            <input id="new-username" name="username" required autocomplete="off"/>
            <label for="new-password">"Password (12 characters or more)"</label>
            <input id="new-password" name="password" type="password" required minlength="12" autocomplete="new-password"/>
            <label><input type="checkbox" name="is_admin" value="on"/> " Administrator"</label>
            <button type="submit">"Create"</button>
        </form>
    }
}

fn module_row(module: AdminModuleView, filter: RwSignal<String>) -> impl IntoView {
    let AdminModuleView {
        name,
        module_type,
        enabled,
        settings,
    } = module;
    let haystack = format!("{name} {module_type}").to_lowercase();
    let hidden = move || filter.with(|f| !haystack.contains(f.as_str()));
    let toggle_label = if enabled { "Disable" } else { "Enable" };
    let state = if enabled { "enabled" } else { "disabled" };
    let setting_forms: Vec<_> = settings
        .into_iter()
        .map(|setting| setting_form(name.clone(), setting))
        .collect();
    view! {
        <section class="admin-module" class:hidden=hidden data-module=name.clone()>
            <h3>
                {name.clone()} " "
                <span class="badge">{module_type}</span> " "
                <span class=format!("state {state}")>{state}</span>
            </h3>
            <form method="post" action="/action/admin/module-state" class="inline">
                <input type="hidden" name="module" value=name.clone()/>
                <input type="hidden" name="enabled" value=(!enabled).to_string()/>
                <button type="submit">{toggle_label}</button>
            </form>
            {setting_forms}
        </section>
    }
}

fn setting_form(module: String, setting: SettingState) -> impl IntoView {
    let SettingState {
        key,
        stored,
        from_environment,
        pinned,
    } = setting;
    let status = match (stored, from_environment) {
        (true, _) => "set",
        (false, true) => "set by the environment",
        (false, false) => "not set",
    };
    let id = format!("setting-{module}-{key}");
    view! {
        <form method="post" action="/action/admin/setting" class="setting">
            <input type="hidden" name="module" value=module.clone()/>
            <input type="hidden" name="key" value=key.clone()/>
            <label for=id.clone()>
                {key.clone()} " " <span class="setting-status">{status}</span>
                {pinned.then(|| view! { " " <span class="badge" title="Queries cannot override this setting">"pinned"</span> })}
            </label>
            <input id=id type="password" name="value" autocomplete="off" placeholder="new value"/>
            <button type="submit">"Save"</button>
            {stored.then(|| view! { <button type="submit" name="clear" value="1">"Clear"</button> })}
        </form>
    }
}
