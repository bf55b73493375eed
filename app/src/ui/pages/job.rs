//! A query's results, per value and module, filled in as modules finish.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::error_text;
use crate::ui::components::results::ResultPanel;
use crate::ui::server_fns::get_job;
use crate::web::{CellState, CellView, JobView};

#[component]
pub fn JobPage() -> impl IntoView {
    let params = use_params_map();
    let error = use_query_map().with_untracked(|q| q.get("error"));
    let id = move || params.with(|p| p.get("id").and_then(|id| id.parse::<i64>().ok()));
    // Bumped to fetch the job again while modules are still running.
    let tick = RwSignal::new(0u32);
    let job = Resource::new(
        move || (id(), tick.get()),
        |(id, _)| async move {
            match id {
                Some(id) => get_job(id).await,
                None => Err(ServerFnError::new("not found")),
            }
        },
    );
    Effect::new(move |_| {
        if let Some(Ok(job)) = job.get()
            && !job.is_finished()
        {
            set_timeout(
                move || tick.update(|t| *t = t.wrapping_add(1)),
                std::time::Duration::from_millis(700),
            );
        }
    });
    view! {
        {error.map(|e| view! { <p class="error" role="alert">{e}</p> })}
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match job.await {
                    Ok(job) => view! { <JobResults job/> }.into_any(),
                    Err(e) => view! { <h1>"Query"</h1><p class="error">{error_text(&e)}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn JobResults(job: JobView) -> impl IntoView {
    let pending = job.pending();
    let failed = job.failed();
    let total = job.cells.len();
    let job_id = job.id;
    let again = format!("/?parent={}", job.id);
    let values = job.values.clone();
    let mut cells = job.cells;
    view! {
        <h1>"Query #"{job.id}</h1>
        <p class="muted">
            {job.parent_id.map(|p| view! { "Pivot of " <a href=format!("/jobs/{p}")>"query #"{p}</a> ". " })}
            "Modules: " {job.modules.join(", ")} ". "
            <a href=again>"New pivot from this query…"</a>
        </p>
        {(failed > 0).then(|| view! {
            <form method="post" action="/action/jobs/retry" class="inline retry">
                <input type="hidden" name="id" value=job_id/>
                <button type="submit">
                    {if failed == 1 { "Run the failed module again".to_owned() } else { format!("Run the {failed} failed results again") }}
                </button>
            </form>
        })}
        <p class="progress" role="status" aria-live="polite">
            {if pending == 0 {
                format!("All {total} results are in.")
            } else {
                format!("{} of {total} results are in; {pending} running.", total - pending)
            }}
        </p>
        {(pending > 0).then(|| view! {
            <noscript><meta http-equiv="refresh" content="2"/></noscript>
        })}
        {values
            .into_iter()
            .map(|(value, kind)| {
                let mine: Vec<CellView> = take_cells(&mut cells, &value, &kind);
                view! {
                    <section class="value-block">
                        <h2><span class="value">{value}</span> " " <span class="badge">{kind}</span></h2>
                        {if mine.is_empty() {
                            view! { <p class="muted">"No selected module accepts this type."</p> }.into_any()
                        } else {
                            mine.into_iter().map(|cell| view! { <Cell job_id cell/> }).collect_view().into_any()
                        }}
                    </section>
                }
            })
            .collect_view()}
    }
}

fn take_cells(cells: &mut Vec<CellView>, value: &str, kind: &str) -> Vec<CellView> {
    let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(cells)
        .into_iter()
        .partition(|c| c.value == value && c.value_type == kind);
    *cells = rest;
    mine
}

#[component]
fn Cell(job_id: i64, cell: CellView) -> impl IntoView {
    let CellView {
        id,
        module,
        state,
        error,
        result,
        ..
    } = cell;
    let status = match state {
        CellState::Pending => "running",
        CellState::Done => "done",
        CellState::Failed => "failed",
    };
    let marker = module.clone();
    view! {
        <article class=format!("cell cell-{status}") data-module=marker>
            <h3>{module} " " <span class="status">{status}</span></h3>
            {error.map(|e| view! { <p class="error">{e}</p> })}
            {result.map(|result| view! { <ResultPanel job_id cell_id=id result/> })}
        </article>
    }
}
