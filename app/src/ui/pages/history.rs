//! The user's earlier queries as trees: each pivot hangs under the query it came from.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::error_text;
use crate::ui::server_fns::get_history;
use crate::web::HistoryNode;

#[component]
pub fn HistoryPage() -> impl IntoView {
    let query = use_query_map();
    let search = move || query.with(|q| q.get("q").unwrap_or_default());
    let history = Resource::new(search, get_history);
    view! {
        <h1>"History"</h1>
        <form method="get" action="/history" class="search" role="search">
            <label for="history-search">"Search values"</label>
            <input id="history-search" type="search" name="q" value=search/>
            <button type="submit">"Search"</button>
        </form>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match history.await {
                    Ok(trees) if trees.is_empty() => {
                        view! { <p class="muted">"Nothing here yet."</p> }.into_any()
                    }
                    Ok(trees) => view! {
                        <ul class="tree">{trees.into_iter().map(tree_node).collect_view()}</ul>
                    }
                    .into_any(),
                    Err(e) => view! { <p class="error">{error_text(&e)}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn tree_node(node: HistoryNode) -> AnyView {
    let HistoryNode {
        id,
        created_at,
        values,
        modules,
        children,
    } = node;
    let shown: Vec<String> = values.iter().map(|(v, _)| v.clone()).collect();
    view! {
        <li>
            <a href=format!("/jobs/{id}") class="node">
                <span class="value">{shown.join(", ")}</span>
            </a>
            " "
            <span class="muted">{modules.join(", ")} " · " <time>{format_time(created_at)}</time></span>
            " "
            <form method="post" action="/action/history/delete" class="inline delete">
                <input type="hidden" name="id" value=id/>
                <button type="submit" class="link danger" title="Delete this query and the queries pivoted from it">
                    "Delete"
                </button>
            </form>
            {(!children.is_empty())
                .then(|| view! { <ul>{children.into_iter().map(tree_node).collect_view()}</ul> })}
        </li>
    }
    .into_any()
}

/// `YYYY-MM-DD HH:MM` UTC, computed the same way on server and browser.
fn format_time(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let seconds = unix.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        seconds / 3_600,
        seconds % 3_600 / 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_are_formatted_in_utc() {
        assert_eq!(super::format_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(super::format_time(1_796_300_000), "2026-12-03 12:13 UTC");
    }
}
