//! The HTTP API (JSON). `openapi.json` beside this file describes it; the
//! operator's guide (`docs/serving.md`) has examples.

use std::future::Future as _;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use caplet_core::{Digest, Value};
use serde::Deserialize;
use serde_json::json;

use super::metrics::metrics;
use super::plugins::PluginError;
use super::runner::{Answer, Job};
use super::store::{Admitted, RunRecord};
use super::tenants::{AuthError, Tenant};
use super::App;

/// The API's routes.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/v1/runs", post(create_run))
        .route("/v1/runs/{id}", get(get_run))
        .route("/v1/plugins", get(list_plugins))
        .route("/v1/admin/reload", post(admin_reload))
        .route("/v1/admin/disable", post(admin_disable))
        .route("/v1/admin/enable", post(admin_enable))
        .route("/v1/admin/aliases", get(list_aliases))
        .route(
            "/v1/admin/aliases/{name}",
            axum::routing::put(put_alias).delete(delete_alias),
        )
        .route("/metrics", get(get_metrics))
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/readyz", get(readyz))
        .route("/openapi.json", get(openapi))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such endpoint") })
        .with_state(app)
}

/// An error answer: `{"error": {"status": N, "message": "…"}}`.
pub fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let body = json!({"error": {"status": status.as_u16(), "message": message.into()}});
    (status, Json(body)).into_response()
}

fn too_many(message: String, retry_after: Duration) -> Response {
    let mut r = error(StatusCode::TOO_MANY_REQUESTS, message);
    let secs = retry_after.as_secs_f64().ceil().max(1.0) as u64;
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

fn authenticate<'a>(app: &'a App, headers: &HeaderMap) -> Result<&'a Tenant, Response> {
    let auth = headers.get(header::AUTHORIZATION).map(|v| v.as_bytes());
    app.tenants.authenticate(auth).map_err(|e| {
        let msg = match e {
            AuthError::Missing => "no bearer token (Authorization: Bearer TOKEN)",
            AuthError::Unknown => "the bearer token is not a tenant's",
        };
        let mut r = error(StatusCode::UNAUTHORIZED, msg);
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        r
    })
}

/// A typed value as JSON: `{"i32": 5}`.
pub fn value_json(v: &Value) -> serde_json::Value {
    match v {
        Value::I32(x) => json!({"i32": x}),
        Value::I64(x) => json!({"i64": x}),
        Value::F32(x) => json!({"f32": x}),
        Value::F64(x) => json!({"f64": x}),
    }
}

fn parse_arg(i: usize, v: &serde_json::Value) -> Result<Value, String> {
    let bad = || {
        format!("args[{i}] is not one of {{\"i32\": N}}, {{\"i64\": N}}, {{\"f32\": X}}, {{\"f64\": X}}")
    };
    let obj = v.as_object().filter(|o| o.len() == 1).ok_or_else(bad)?;
    let (ty, n) = obj.iter().next().ok_or_else(bad)?;
    let out_of_range = || format!("args[{i}]: {n} is not a {ty}");
    Ok(match ty.as_str() {
        "i32" => Value::I32(
            n.as_i64()
                .and_then(|x| i32::try_from(x).ok())
                .ok_or_else(out_of_range)?,
        ),
        "i64" => Value::I64(n.as_i64().ok_or_else(out_of_range)?),
        "f32" => Value::F32(n.as_f64().ok_or_else(out_of_range)? as f32),
        "f64" => Value::F64(n.as_f64().ok_or_else(out_of_range)?),
        _ => return Err(bad()),
    })
}

/// `POST /v1/runs`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RunRequest {
    plugin: String,
    call: String,
    input: Option<String>,
    input_base64: Option<String>,
    #[serde(default)]
    args: Vec<serde_json::Value>,
    #[serde(default)]
    labels: serde_json::Map<String, serde_json::Value>,
    #[serde(default = "yes")]
    wait: bool,
    timeout_ms: Option<u64>,
    fuel: Option<u64>,
}

fn yes() -> bool {
    true
}

/// Labels a run may carry; the longest label name and value, in bytes.
const MAX_LABELS: usize = 32;
const MAX_LABEL_NAME: usize = 64;
const MAX_LABEL_VALUE: usize = 256;

async fn create_run(State(app): State<Arc<App>>, headers: HeaderMap, body: Body) -> Response {
    let tenant = match authenticate(&app, &headers) {
        Ok(t) => t,
        Err(r) => return r,
    };
    if app.draining.load(Ordering::SeqCst) {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the service is shutting down",
        );
    }
    if app.catalog.all_disabled() {
        return error(StatusCode::SERVICE_UNAVAILABLE, "every run is switched off");
    }
    // A small body has arrived with its headers: read at once, it needs no timer.
    let mut read = std::pin::pin!(to_bytes(body, app.max_body));
    let first = std::future::poll_fn(|cx| Poll::Ready(read.as_mut().poll(cx))).await;
    let got = match first {
        Poll::Ready(r) => Ok(r),
        Poll::Pending => tokio::time::timeout(app.body_timeout, read).await,
    };
    let bytes = match got {
        Ok(Ok(b)) => b,
        Ok(Err(_)) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the request body is over the {}-byte cap", app.max_body),
            )
        }
        Err(_) => {
            return error(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "the request body did not arrive within {} s",
                    app.body_timeout.as_secs()
                ),
            )
        }
    };
    let req: RunRequest = match serde_json::from_slice(&bytes) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("bad request body: {e}")),
    };
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => match v.to_str() {
            Ok(k) if !k.is_empty() && k.len() <= 255 => Some(k.to_string()),
            _ => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "Idempotency-Key is 1 to 255 visible ASCII characters",
                )
            }
        },
    };
    let input = match (&req.input, &req.input_base64) {
        (Some(_), Some(_)) => {
            return error(
                StatusCode::BAD_REQUEST,
                "give `input` or `input_base64`, not both",
            )
        }
        (Some(t), None) => t.as_bytes().to_vec(),
        (None, Some(b)) => match base64::engine::general_purpose::STANDARD.decode(b) {
            Ok(v) => v,
            Err(e) => return error(StatusCode::BAD_REQUEST, format!("input_base64: {e}")),
        },
        (None, None) => Vec::new(),
    };
    let mut args = Vec::new();
    for (i, a) in req.args.iter().enumerate() {
        match parse_arg(i, a) {
            Ok(v) => args.push(v),
            Err(e) => return error(StatusCode::BAD_REQUEST, e),
        }
    }
    if !args.is_empty() && !input.is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "a typed call (`args`) takes no `input`",
        );
    }
    if req.labels.len() > MAX_LABELS {
        return error(
            StatusCode::BAD_REQUEST,
            format!("at most {MAX_LABELS} labels"),
        );
    }
    for (k, v) in &req.labels {
        let ok = !k.is_empty()
            && k.len() <= MAX_LABEL_NAME
            && v.as_str().is_some_and(|v| v.len() <= MAX_LABEL_VALUE);
        if !ok {
            return error(
                StatusCode::BAD_REQUEST,
                format!(
                    "label `{}`: a label is a name of 1 to {MAX_LABEL_NAME} bytes and a text \
                     value of at most {MAX_LABEL_VALUE} bytes",
                    k.chars().take(MAX_LABEL_NAME).collect::<String>()
                ),
            );
        }
    }
    if req.call.is_empty() || req.call.len() > 255 {
        return error(StatusCode::BAD_REQUEST, "`call` is 1 to 255 bytes");
    }
    // The limits asked for must be within the tenant's.
    let max_fuel = tenant.max_fuel.unwrap_or(app.default_fuel);
    if let Some(f) = req.fuel {
        if f == 0 || f > max_fuel {
            return error(
                StatusCode::FORBIDDEN,
                format!(
                    "fuel {f} is outside tenant `{}`'s limit of 1 to {max_fuel}",
                    tenant.name
                ),
            );
        }
    }
    let max_timeout = tenant.max_timeout.unwrap_or(app.default_timeout);
    if let Some(t) = req.timeout_ms {
        if t == 0 || Duration::from_millis(t) > max_timeout {
            return error(
                StatusCode::FORBIDDEN,
                format!(
                    "timeout_ms {t} is outside tenant `{}`'s limit of 1 to {}",
                    tenant.name,
                    max_timeout.as_millis()
                ),
            );
        }
    }
    // The idempotency key with its body's digest (only a keyed request needs it).
    let keyed = key.map(|k| (k, Digest::of(&bytes).to_hex()));
    // A retry with a known key gets its run back before the rate limit and the
    // queue count it: the run is admitted already.
    if let Some((key, body_sha)) = &keyed {
        let store = app.store.clone();
        let (t, k, b) = (tenant.name.clone(), key.clone(), body_sha.clone());
        match tokio::task::spawn_blocking(move || store.find_key(&t, &k, &b)).await {
            Ok(Ok(None)) => {}
            Ok(Ok(Some(found))) => return admitted_before(&app, found),
            Ok(Err(e)) => return error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
            Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, format!("store: {e}")),
        }
    }
    if let Err(wait) = tenant.take_run() {
        metrics().limit_hit("rate");
        return too_many(
            format!("tenant `{}` is over its rate limit", tenant.name),
            wait,
        );
    }
    // Resolving is in memory; a plugin already loaded in the current generation
    // is taken here. A first load (file reads, a registry pull, compilation) runs
    // on a blocking thread.
    let mut resolved = match app.catalog.resolve(&req.plugin, tenant) {
        Ok(r) => r,
        Err(e) => return plugin_error(e),
    };
    let ready = match app.catalog.pooled_ready(&resolved, tenant, req.fuel) {
        Ok(r) => r,
        Err(e) => return plugin_error(e),
    };
    let (generation, pooled) = match ready {
        Some(x) => x,
        None => {
            let app2 = app.clone();
            let tenant_name = tenant.name.clone();
            let fuel = req.fuel;
            let loaded = tokio::task::spawn_blocking(move || {
                let tenant = app2.tenant(&tenant_name);
                let got = app2.catalog.pooled_plugin(&mut resolved, tenant, fuel);
                got.map(|(g, p)| (resolved, g, p))
            })
            .await;
            match loaded {
                Ok(Ok((r, g, p))) => {
                    resolved = r;
                    (g, p)
                }
                Ok(Err(e)) => return plugin_error(e),
                Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, format!("loading: {e}")),
            }
        }
    };
    let Some(permit) = app.workers.try_admit() else {
        metrics().limit_hit("queue");
        return too_many("the run queue is full".into(), Duration::from_secs(1));
    };
    let mut rec = RunRecord::queued(
        uuid::Uuid::now_v7().to_string(),
        resolved.name.clone(),
        resolved.digest.to_string(),
        req.call.clone(),
    );
    rec.alias = resolved.alias.clone();
    rec.version = resolved.version.as_ref().map(|v| v.to_string());
    rec.labels = req.labels.clone();
    let timeout = req
        .timeout_ms
        .map(Duration::from_millis)
        .or(pooled.timeout)
        .unwrap_or(app.default_timeout)
        .min(max_timeout);
    let (reply, answer) = if req.wait {
        let (tx, rx) = tokio::sync::oneshot::channel();
        (Some(tx), Some(rx))
    } else {
        (None, None)
    };
    // The id a `202` names (a waited run answers with its whole record).
    let queued_id = answer.is_none().then(|| rec.run_id.clone());
    let healthy = app.writer.healthy() && app.journal.as_ref().is_none_or(|j| j.healthy());
    let held = answer.is_some() && keyed.is_none() && healthy;
    // A held run's `queued` record is kept in memory, one written is admitted.
    let kept = rec.clone();
    let job = Job {
        rec,
        tenant: tenant.name.clone(),
        generation,
        pooled,
        input,
        args,
        timeout: Some(timeout),
        reply,
        permit,
    };
    if held {
        // A waited run without an idempotency key is written once, when it ends:
        // until then only its caller knows its id (and the service, which shows
        // it from memory). Should the service die meanwhile, the caller's
        // connection goes with it and no record is left behind. While the store
        // fails, runs take the admission write below, so that a run whose
        // record cannot be written does not start.
        app.running.hold(&tenant.name, kept);
        if let Err(job) = app.workers.submit(job) {
            app.running.end(&job.rec.run_id);
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the service is shutting down; the run was not started",
            );
        }
    } else {
        // The writer hands the job to the workers as soon as the admission is
        // committed, without a round trip through this task.
        let app2 = app.clone();
        let dispatch: Box<dyn FnOnce() + Send> = Box::new(move || {
            if app2.workers.submit(job).is_err() {
                // Shutting down: the job (and its reply channel) is dropped; the
                // record stays `queued` and is marked interrupted at the next start.
                tracing::warn!("a run admitted during shutdown was not started");
            }
        });
        let admitted = app
            .writer
            .admit(
                &tenant.name,
                &kept,
                keyed.as_ref().map(|(k, b)| (k.as_str(), b.as_str())),
                Some(dispatch),
            )
            .await;
        match admitted {
            Ok(Admitted::New) => {}
            Ok(found) => return admitted_before(&app, found),
            Err(e) => return error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
        }
    }
    match answer {
        None => (
            StatusCode::ACCEPTED,
            Json(json!({"run_id": queued_id, "status": "queued"})),
        )
            .into_response(),
        Some(rx) => match rx.await {
            Ok(Ok(Answer::Record(rec))) => (StatusCode::OK, Json(rec)).into_response(),
            // Journaled: the record as the journal serialised it.
            Ok(Ok(Answer::Json(json))) => (
                StatusCode::OK,
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                json,
            )
                .into_response(),
            // The run happened: its record goes to the caller, under `run`, with
            // the store's error. It is not stored (`GET` will not find it, or
            // finds it `queued` when its admission was written).
            Ok(Err((rec, e))) => (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({
                    "error": {
                        "status": 503,
                        "message": format!(
                            "run `{}` ended, but its record could not be stored: {e}",
                            rec.run_id
                        ),
                    },
                    "run": rec,
                })),
            )
                .into_response(),
            Err(_) => error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the service is shutting down; the run was not started",
            ),
        },
    }
}

fn plugin_error(e: PluginError) -> Response {
    match e {
        PluginError::Unknown(m) => error(StatusCode::NOT_FOUND, m),
        PluginError::Forbidden(m) => error(StatusCode::FORBIDDEN, m),
        PluginError::Disabled(m) => error(StatusCode::SERVICE_UNAVAILABLE, m),
        // A capability the plugin needs and the tenant's policy does not grant.
        PluginError::Load(e) if e.kind() == caplet_core::ErrorKind::Capability => error(
            StatusCode::FORBIDDEN,
            format!("the plugin did not load: {}: {e}", e.kind().name()),
        ),
        PluginError::Load(e) => error(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("the plugin did not load: {}: {e}", e.kind().name()),
        ),
        PluginError::Source(e) => error(StatusCode::BAD_GATEWAY, e.to_string()),
        PluginError::Pinned(m) => error(StatusCode::UNPROCESSABLE_ENTITY, format!("digest: {m}")),
    }
}

/// The answer to a request whose idempotency key was used before: its first run
/// (200 when it has ended, 202 while it is queued or running, with its state as
/// `GET /v1/runs/{id}` shows it), or 409 for another body.
fn admitted_before(app: &App, found: Admitted) -> Response {
    match found {
        Admitted::Existing(first) => {
            let mut first = *first;
            app.running.overlay(&mut first);
            let status = if first.is_final() {
                StatusCode::OK
            } else {
                StatusCode::ACCEPTED
            };
            (status, Json(first)).into_response()
        }
        Admitted::Conflict => error(
            StatusCode::CONFLICT,
            "this Idempotency-Key was used with another request body",
        ),
        Admitted::New => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "an idempotency lookup answered `new` for a known key",
        ),
    }
}

async fn get_run(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let tenant = match authenticate(&app, &headers) {
        Ok(t) => t.name.clone(),
        Err(r) => return r,
    };
    // Memory first: a run leaves it only once its final record is committed.
    if let Some(rec) = app.running.unstored(&tenant, &id) {
        return Json(rec).into_response();
    }
    let store = app.store.clone();
    let id2 = id.clone();
    match tokio::task::spawn_blocking(move || store.get(&tenant, &id2)).await {
        Ok(Ok(Some(mut rec))) => {
            app.running.overlay(&mut rec);
            Json(rec).into_response()
        }
        Ok(Ok(None)) => error(StatusCode::NOT_FOUND, format!("no run `{id}`")),
        Ok(Err(e)) => error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, format!("store: {e}")),
    }
}

async fn list_plugins(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    let tenant = match authenticate(&app, &headers) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let disabled = app.catalog.disabled();
    let plugins: Vec<serde_json::Value> = app
        .catalog
        .list(tenant)
        .iter()
        .map(|e| {
            json!({
                "name": e.name,
                "version": e.version.to_string(),
                "digest": e.digest.to_string(),
                "description": e.manifest.description,
                "capabilities": e.manifest.capabilities.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
                "disabled": disabled.contains(&e.name),
            })
        })
        .collect();
    Json(json!({ "plugins": plugins })).into_response()
}

fn admin<'a>(app: &'a App, headers: &HeaderMap) -> Result<&'a Tenant, Response> {
    let t = authenticate(app, headers)?;
    if !t.admin {
        return Err(error(
            StatusCode::FORBIDDEN,
            format!("tenant `{}` is not an admin", t.name),
        ));
    }
    Ok(t)
}

async fn admin_reload(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    if let Err(r) = admin(&app, &headers) {
        return r;
    }
    let app2 = app.clone();
    match tokio::task::spawn_blocking(move || app2.catalog.reload()).await {
        Ok(Ok(id)) => Json(json!({"generation": id})).into_response(),
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, format!("reload: {e}")),
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Switch {
    plugin: Option<String>,
}

async fn switch(app: Arc<App>, headers: HeaderMap, body: Body, off: bool) -> Response {
    if let Err(r) = admin(&app, &headers) {
        return r;
    }
    let bytes = match to_bytes(body, 4096).await {
        Ok(b) => b,
        Err(_) => return error(StatusCode::PAYLOAD_TOO_LARGE, "the body is over 4096 bytes"),
    };
    let s: Switch = if bytes.is_empty() {
        Switch::default()
    } else {
        match serde_json::from_slice(&bytes) {
            Ok(s) => s,
            Err(e) => return error(StatusCode::BAD_REQUEST, format!("bad request body: {e}")),
        }
    };
    match &s.plugin {
        Some(p) => app.catalog.disable(p, off),
        None => app.catalog.disable_all(off),
    }
    tracing::warn!(
        event = if off { "switch.off" } else { "switch.on" },
        plugin = s.plugin.as_deref().unwrap_or("*")
    );
    Json(json!({
        "all_disabled": app.catalog.all_disabled(),
        "disabled": app.catalog.disabled(),
    }))
    .into_response()
}

async fn admin_disable(State(app): State<Arc<App>>, headers: HeaderMap, body: Body) -> Response {
    switch(app, headers, body, true).await
}

async fn admin_enable(State(app): State<Arc<App>>, headers: HeaderMap, body: Body) -> Response {
    switch(app, headers, body, false).await
}

fn aliases_json(app: &App) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for (name, a) in app.catalog.aliases() {
        let routes: serde_json::Map<String, serde_json::Value> =
            a.routes().map(|(v, w)| (v.to_string(), json!(w))).collect();
        out.insert(name, serde_json::Value::Object(routes));
    }
    json!({ "aliases": out })
}

async fn list_aliases(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    if let Err(r) = admin(&app, &headers) {
        return r;
    }
    Json(aliases_json(&app)).into_response()
}

async fn put_alias(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Body,
) -> Response {
    if let Err(r) = admin(&app, &headers) {
        return r;
    }
    let bytes = match to_bytes(body, 4096).await {
        Ok(b) => b,
        Err(_) => return error(StatusCode::PAYLOAD_TOO_LARGE, "the body is over 4096 bytes"),
    };
    let routes: std::collections::BTreeMap<String, u32> = match serde_json::from_slice(&bytes) {
        Ok(r) => r,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("bad alias (want {{\"VERSION\": WEIGHT, …}}): {e}"),
            )
        }
    };
    let alias = match super::plugins::alias_routes(&routes) {
        Ok(a) => a,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    if let Err(e) = app.catalog.set_alias(&name, alias) {
        return error(StatusCode::NOT_FOUND, e);
    }
    tracing::warn!(event = "alias.set", alias = %name, routes = ?routes);
    Json(aliases_json(&app)).into_response()
}

async fn delete_alias(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    if let Err(r) = admin(&app, &headers) {
        return r;
    }
    if !app.catalog.remove_alias(&name) {
        return error(StatusCode::NOT_FOUND, format!("no alias `{name}`"));
    }
    tracing::warn!(event = "alias.removed", alias = %name);
    Json(aliases_json(&app)).into_response()
}

async fn get_metrics(State(app): State<Arc<App>>) -> Response {
    let m = metrics();
    m.queue_depth.set(app.workers.in_flight() as i64);
    m.instances_pooled.set(app.catalog.pooled() as i64);
    m.generations.set(super::plugins::live_generations() as i64);
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        m.encode(),
    )
        .into_response()
}

async fn readyz(State(app): State<Arc<App>>) -> Response {
    if app.draining.load(Ordering::SeqCst) {
        return error(StatusCode::SERVICE_UNAVAILABLE, "draining");
    }
    if app.catalog.all_disabled() {
        return error(StatusCode::SERVICE_UNAVAILABLE, "every run is switched off");
    }
    let store = app.store.clone();
    match tokio::task::spawn_blocking(move || store.ping()).await {
        Ok(Ok(())) => Json(json!({"status": "ready"})).into_response(),
        Ok(Err(e)) => error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, format!("store: {e}")),
    }
}

async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
        .into_response()
}
