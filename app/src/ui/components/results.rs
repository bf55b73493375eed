//! One module's answer for one value, in three views: MISP objects, raw JSON, Markdown.
//! Every value shown here came from a module: text nodes and escaped attributes only.

use leptos::prelude::*;

use super::markdown::MarkdownView;
use crate::web::query_value;
use crate::web::{AttributeView, ObjectView, ResultView};

#[component]
pub fn ResultPanel(job_id: i64, cell_id: i64, result: ResultView) -> impl IntoView {
    let ResultView {
        objects,
        attributes,
        json,
        markdown,
        markdown_blocks,
    } = result;
    let empty = objects.is_empty() && attributes.is_empty();
    let download = format!("/jobs/{job_id}/cells/{cell_id}.json");
    view! {
        <details class="view view-objects" open>
            <summary>"MISP objects"</summary>
            {empty.then(|| view! { <p class="muted">"No attributes or objects in this answer."</p> })}
            {objects
                .into_iter()
                .map(|object| view! { <ObjectCard job_id object/> })
                .collect_view()}
            {(!attributes.is_empty())
                .then(|| {
                    view! {
                        <h4>"Attributes"</h4>
                        <AttributeTable job_id attributes with_relation=false/>
                    }
                })}
        </details>
        <details class="view view-json">
            <summary>"JSON"</summary>
            <div class="toolbar">
                <CopyButton text=json.clone()/>
                <a href=download download="">"Download"</a>
            </div>
            <pre class="json">{json}</pre>
        </details>
        <details class="view view-markdown">
            <summary>"Markdown"</summary>
            <div class="toolbar">
                <CopyButton text=markdown.clone()/>
            </div>
            <MarkdownView blocks=markdown_blocks/>
            <details class="source">
                <summary>"Markdown source"</summary>
                <pre>{markdown}</pre>
            </details>
        </details>
    }
}

#[component]
fn ObjectCard(job_id: i64, object: ObjectView) -> impl IntoView {
    let ObjectView {
        name,
        meta_category,
        uuid,
        comment,
        attributes,
        references,
    } = object;
    view! {
        <section class="object" data-uuid=uuid>
            <h4>
                {name}
                {meta_category.map(|c| view! { <span class="badge">{c}</span> })}
            </h4>
            {comment.map(|c| view! { <p class="muted">{c}</p> })}
            <AttributeTable job_id attributes with_relation=true/>
            {(!references.is_empty())
                .then(|| {
                    view! {
                        <ul class="references">
                            {references
                                .into_iter()
                                .map(|r| {
                                    let target = r.referenced_name.unwrap_or(r.referenced_uuid);
                                    view! {
                                        <li>
                                            <span class="badge">{r.relationship_type}</span>
                                            " → "
                                            {target}
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                })}
        </section>
    }
}

#[component]
fn AttributeTable(
    job_id: i64,
    attributes: Vec<AttributeView>,
    with_relation: bool,
) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="attributes">
                <thead>
                    <tr>
                        {with_relation.then(|| view! { <th scope="col">"Relation"</th> })}
                        <th scope="col">"Type"</th>
                        <th scope="col">"Category"</th>
                        <th scope="col">"Value"</th>
                        <th scope="col">"Comment"</th>
                        <th scope="col">"Pivot"</th>
                    </tr>
                </thead>
                <tbody>
                    {attributes
                        .into_iter()
                        .map(|attribute| {
                            let relation = attribute.object_relation.clone().unwrap_or_default();
                            view! {
                                <tr>
                                    {with_relation.then(|| view! { <td>{relation}</td> })}
                                    <td><code>{attribute.attribute_type.clone()}</code></td>
                                    <td>{attribute.category.clone().unwrap_or_default()}</td>
                                    <td class="value">{attribute.value.clone()}</td>
                                    <td>{attribute.comment.clone().unwrap_or_default()}</td>
                                    <td><PivotActions job_id attribute/></td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// Query a result value in turn: with the same modules in one click, or choosing others.
#[component]
fn PivotActions(job_id: i64, attribute: AttributeView) -> impl IntoView {
    let choose = format!(
        "/?value={}&type={}&parent={job_id}",
        query_value(&attribute.value),
        query_value(&attribute.attribute_type)
    );
    view! {
        <form method="post" action="/action/pivot" class="inline pivot">
            <input type="hidden" name="parent" value=job_id/>
            <input type="hidden" name="value" value=attribute.value.clone()/>
            <input type="hidden" name="value_type" value=attribute.attribute_type.clone()/>
            <button type="submit" title="Query this value with the same modules">"Query again"</button>
        </form>
        " "
        <a href=choose title="Choose modules for this value">"Other modules…"</a>
    }
}

/// Copies `text` to the clipboard (needs the wasm bundle; without it, select the text).
#[component]
fn CopyButton(text: String) -> impl IntoView {
    let copied = RwSignal::new(false);
    let on_click = move |_| {
        #[cfg(feature = "hydrate")]
        {
            if let Some(window) = web_sys::window() {
                let _ = window.navigator().clipboard().write_text(&text);
                copied.set(true);
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &text;
    };
    view! {
        <button type="button" on:click=on_click>
            {move || if copied.get() { "Copied" } else { "Copy" }}
        </button>
    }
}
