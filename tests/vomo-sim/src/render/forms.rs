//! Form and form completion shapes.

use serde::Serialize;

use super::Ctx;
use super::value::Time;

/// A form template.
#[derive(Serialize)]
pub struct FormJson<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: u32,
    name: &'a str,
    description: &'a str,
    form_type: &'a str,
    slug: &'a str,
    author_id: Option<u32>,
    created_at: Time,
    updated_at: Time,
}

/// A completion with its field responses, as in the reference example.
#[derive(Serialize)]
pub struct CompletionJson {
    #[serde(rename = "type")]
    kind: &'static str,
    id: u32,
    form_id: u32,
    user_id: u32,
    project_id: Option<u32>,
    participation_id: Option<u32>,
    field_responses: Vec<ResponseJson>,
    created_at: Time,
    updated_at: Time,
}

#[derive(Serialize)]
struct ResponseJson {
    #[serde(rename = "type")]
    kind: &'static str,
    id: u32,
    form_completion_id: u32,
    user_id: u32,
    field_id: u32,
    value: String,
}

/// The shape of form `id`.
pub fn form<'a>(ctx: &Ctx<'a>, id: u32) -> Option<FormJson<'a>> {
    let f = ctx.store.form(u64::from(id))?;
    Some(FormJson {
        kind: "form",
        id,
        name: &f.name,
        description: &f.description,
        form_type: &f.form_type,
        slug: &f.slug,
        author_id: f.author,
        created_at: ctx.rest(f.created),
        updated_at: ctx.rest(f.updated),
    })
}

/// The shape of completion `id`.
pub fn completion(ctx: &Ctx<'_>, id: u32) -> Option<CompletionJson> {
    let c = ctx.store.completion(u64::from(id))?;
    let field_responses = c
        .responses
        .iter()
        .map(|r| ResponseJson {
            kind: "form_field_response",
            id: r.id,
            form_completion_id: id,
            user_id: c.user,
            field_id: r.field,
            value: r.value.clone(),
        })
        .collect();
    Some(CompletionJson {
        kind: "form_completion",
        id,
        form_id: c.form,
        user_id: c.user,
        project_id: c.project,
        participation_id: c.participation,
        field_responses,
        created_at: ctx.rest(c.created),
        updated_at: ctx.rest(c.updated),
    })
}
