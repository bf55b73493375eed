//! Markdown already parsed by the server into blocks, rendered as text nodes only.

use leptos::prelude::*;

use crate::web::{Inline, MarkdownBlock};

#[component]
pub fn MarkdownView(blocks: Vec<MarkdownBlock>) -> impl IntoView {
    view! { <div class="markdown">{blocks.into_iter().map(block).collect_view()}</div> }
}

fn block(block: MarkdownBlock) -> AnyView {
    match block {
        MarkdownBlock::Heading(level, inlines) => {
            let content = inlines_view(inlines);
            match level {
                1 => view! { <h3>{content}</h3> }.into_any(),
                2 => view! { <h4>{content}</h4> }.into_any(),
                _ => view! { <h5>{content}</h5> }.into_any(),
            }
        }
        MarkdownBlock::Paragraph(inlines) => view! { <p>{inlines_view(inlines)}</p> }.into_any(),
        MarkdownBlock::List(items) => view! {
            <ul>{items.into_iter().map(|item| view! { <li>{inlines_view(item)}</li> }).collect_view()}</ul>
        }
        .into_any(),
        MarkdownBlock::Code(text) => view! { <pre><code>{text}</code></pre> }.into_any(),
        MarkdownBlock::Table { header, rows } => view! {
            <div class="table-wrap">
                <table>
                    <thead>
                        <tr>{header.into_iter().map(|cell| view! { <th>{inlines_view(cell)}</th> }).collect_view()}</tr>
                    </thead>
                    <tbody>
                        {rows
                            .into_iter()
                            .map(|row| view! {
                                <tr>{row.into_iter().map(|cell| view! { <td>{inlines_view(cell)}</td> }).collect_view()}</tr>
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        }
        .into_any(),
        MarkdownBlock::Rule => view! { <hr/> }.into_any(),
    }
}

fn inlines_view(inlines: Vec<Inline>) -> impl IntoView {
    inlines
        .into_iter()
        .map(|inline| match inline {
            Inline::Text(text) => text.into_any(),
            Inline::Code(text) => view! { <code>{text}</code> }.into_any(),
            Inline::Strong(text) => view! { <strong>{text}</strong> }.into_any(),
            Inline::Emphasis(text) => view! { <em>{text}</em> }.into_any(),
            Inline::Link { href, text } => {
                view! { <a href=href rel="noopener noreferrer nofollow" target="_blank">{text}</a> }
                    .into_any()
            }
        })
        .collect_view()
}
