//! Start a query: values (one per line) with a suggested, changeable type each, and the
//! enrichment modules that accept those types.

use std::collections::{BTreeSet, HashMap};

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::error_text;
use crate::ui::server_fns::enrichment_modules;
use crate::web::{ModuleSummary, detect_values};

/// Types offered in every value's menu, besides those the modules declare.
const COMMON_TYPES: &[&str] = &[
    "ip-src",
    "ip-dst",
    "domain",
    "hostname",
    "url",
    "email-src",
    "email-dst",
    "md5",
    "sha1",
    "sha256",
    "sha512",
    "vulnerability",
    "AS",
    "btc",
    "phone-number",
    "text",
];

#[component]
pub fn QueryPage() -> impl IntoView {
    let query = use_query_map();
    let initial_value = query.with_untracked(|q| q.get("value").unwrap_or_default());
    let initial_type = query.with_untracked(|q| q.get("type"));
    let parent = query.with_untracked(|q| q.get("parent").and_then(|p| p.parse::<i64>().ok()));
    let error = query.with_untracked(|q| q.get("error"));

    let text = RwSignal::new(initial_value.clone());
    // Types the user picked, by value; the rest use the suggestion.
    let chosen: RwSignal<HashMap<String, String>> = RwSignal::new(
        initial_type
            .map(|t| HashMap::from([(initial_value.trim().to_owned(), t)]))
            .unwrap_or_default(),
    );
    let search = RwSignal::new(String::new());
    let modules = Resource::new(|| (), |_| enrichment_modules());

    let rows = Memo::new(move |_| {
        let chosen = chosen.get();
        text.with(|text| {
            detect_values(text)
                .into_iter()
                .map(|d| {
                    let kind = chosen
                        .get(&d.value)
                        .cloned()
                        .unwrap_or_else(|| d.suggested.to_owned());
                    (d.value, kind)
                })
                .collect::<Vec<_>>()
        })
    });
    let types_field = move || {
        rows.get()
            .into_iter()
            .map(|(_, kind)| kind)
            .collect::<Vec<_>>()
            .join("\n")
    };

    view! {
        <h1>"Enrich indicators"</h1>
        {error.map(|e| view! { <p class="error" role="alert">{e}</p> })}
        <form method="post" action="/action/jobs" class="query-form">
            {parent.map(|p| view! {
                <input type="hidden" name="parent" value=p/>
                <p class="muted">"This query will be a pivot of query #"{p}"."</p>
            })}
            <label for="values">"Values, one per line"</label>
            <textarea
                id="values"
                name="values"
                rows="6"
                required
                spellcheck="false"
                placeholder="8.8.8.8\nexample.com\nhttps://example.com/path"
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
            >
                {initial_value.clone()}
            </textarea>
            <input type="hidden" name="types" prop:value=types_field value=types_field/>
            <TypeTable rows chosen modules/>
            <label for="module-search">"Modules"</label>
            <input
                id="module-search"
                type="search"
                placeholder="Filter modules by name or description"
                on:input=move |ev| search.set(event_target_value(&ev))
            />
            <Suspense fallback=|| view! { <p>"Loading modules…"</p> }>
                {move || Suspend::new(async move {
                    match modules.await {
                        Ok(list) => view! { <ModuleChooser list rows search/> }.into_any(),
                        Err(e) => view! { <p class="error">{error_text(&e)}</p> }.into_any(),
                    }
                })}
            </Suspense>
            <button type="submit" class="primary">"Run"</button>
        </form>
    }
}

/// The values as understood, each with a menu to change its type.
#[component]
fn TypeTable(
    rows: Memo<Vec<(String, String)>>,
    chosen: RwSignal<HashMap<String, String>>,
    modules: Resource<Result<Vec<ModuleSummary>, ServerFnError>>,
) -> impl IntoView {
    let options = Memo::new(move |_| {
        let mut all: BTreeSet<String> = COMMON_TYPES.iter().map(|t| (*t).to_owned()).collect();
        if let Some(Ok(list)) = modules.get() {
            all.extend(list.iter().flat_map(|m| m.input.iter().cloned()));
        }
        all.into_iter().collect::<Vec<_>>()
    });
    view! {
        <table class="detected" aria-label="Values and their types">
            <tbody>
                <For
                    each=move || rows.get()
                    key=|(value, kind)| (value.clone(), kind.clone())
                    children=move |(value, kind)| {
                        let for_change = value.clone();
                        view! {
                            <tr>
                                <td class="value">{value.clone()}</td>
                                <td>
                                    <select
                                        aria-label=format!("Type of {value}")
                                        on:change=move |ev| {
                                            let picked = event_target_value(&ev);
                                            chosen.update(|c| {
                                                c.insert(for_change.clone(), picked);
                                            });
                                        }
                                    >
                                        {move || {
                                            let kind = kind.clone();
                                            options
                                                .get()
                                                .into_iter()
                                                .map(|t| {
                                                    let selected = t == kind;
                                                    view! { <option value=t.clone() selected=selected>{t.clone()}</option> }
                                                })
                                                .collect_view()
                                        }}
                                    </select>
                                </td>
                            </tr>
                        }
                    }
                />
            </tbody>
        </table>
    }
}

/// Checkboxes of the modules that accept at least one of the values' types.
#[component]
fn ModuleChooser(
    list: Vec<ModuleSummary>,
    rows: Memo<Vec<(String, String)>>,
    search: RwSignal<String>,
) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="muted">"No enrichment module is enabled."</p> }.into_any();
    }
    view! {
        <ul class="modules">
            {list
                .into_iter()
                .map(|module| {
                    let ModuleSummary { name, description, input, missing_settings } = module;
                    let haystack = format!("{name} {description}").to_lowercase();
                    let accepts = input.clone();
                    let visible = move || {
                        let types: Vec<String> = rows.get().into_iter().map(|(_, t)| t).collect();
                        let fits = types.is_empty() || types.iter().any(|t| accepts.contains(t));
                        let wanted = search.with(|s| haystack.contains(&s.trim().to_lowercase()));
                        fits && wanted
                    };
                    let id = format!("module-{name}");
                    let warning = (!missing_settings.is_empty()).then(|| {
                        view! {
                            <span class="warning">
                                "Needs settings that are not set: " {missing_settings.join(", ")}
                            </span>
                        }
                    });
                    view! {
                        <li class:hidden=move || !visible()>
                            <input type="checkbox" name="modules" value=name.clone() id=id.clone()/>
                            <label for=id>
                                <strong>{name.clone()}</strong>
                                " "
                                <span class="muted">{description}</span>
                            </label>
                            {warning}
                            <span class="accepts">{input.join(", ")}</span>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}
