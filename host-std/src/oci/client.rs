//! The client of the OCI distribution API.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Mutex;
use std::time::Duration;

use caplet_core::Digest;
use serde::Deserialize;

use super::auth::{
    basic, is_loopback_registry, parse_challenge, realm_may_get_credentials, Challenge, Credentials,
};
use super::store::Store;
use super::{
    assemble, check_manifest, err, fetch_err, parse_digest, verify_blob, Artifact, Descriptor,
    OciError, OciLimits, Reference, OCI_INDEX, OCI_MANIFEST, WASM_CONFIG, WASM_LAYER,
};

/// Settings of a registry client.
#[derive(Debug, Clone, Default)]
pub struct ClientConfig {
    /// Registries (`host:port`) reached over plain HTTP.
    pub insecure: Vec<String>,
    /// Credentials.
    pub credentials: Credentials,
    /// Caps.
    pub limits: OciLimits,
    /// Show a progress bar for downloads (on a terminal).
    pub progress: bool,
}

/// A client of the OCI distribution API.
pub struct Client {
    config: ClientConfig,
    agent: ureq::Agent,
    tokens: Mutex<BTreeMap<(String, String), String>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

struct Reply {
    status: u16,
    headers: ureq::http::HeaderMap,
    body: Vec<u8>,
}

/// The length a response declares (`Content-Length`), if it declares one.
pub(crate) fn declared_length(headers: &ureq::http::HeaderMap) -> Option<u64> {
    headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

/// The HTTP agent of the operator's own downloads (registries, a module an Extism
/// manifest names by URL): statuses come back as values, at most 5 redirects,
/// credentials never follow a redirect (to whatever host it names), no proxy, a
/// 10 s connect timeout and `total` for the whole exchange. Not the plugins'
/// agent: theirs is `crate::http`'s, with the grants and the private-address guard.
pub(crate) fn download_agent(total: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(5)
        .redirect_auth_headers(ureq::config::RedirectAuthHeaders::Never)
        .proxy(None)
        .timeout_connect(Some(Duration::from_secs(10)))
        .timeout_global(Some(total))
        .user_agent(concat!("caplet/", env!("CARGO_PKG_VERSION")))
        .build()
        .new_agent()
}

impl Client {
    /// A client with `config`.
    pub fn new(config: ClientConfig) -> Client {
        let agent = download_agent(Duration::from_secs(300));
        Client {
            config,
            agent,
            tokens: Mutex::new(BTreeMap::new()),
        }
    }

    fn base(&self, registry: &str) -> String {
        let scheme = if self.config.insecure.iter().any(|r| r == registry) {
            "http"
        } else {
            "https"
        };
        format!("{scheme}://{registry}")
    }

    fn secure(&self, registry: &str) -> bool {
        !self.config.insecure.iter().any(|r| r == registry)
    }

    /// One request with auth: a cached token first; on 401, answer the challenge
    /// and retry once.
    #[allow(clippy::too_many_arguments)]
    fn send(
        &self,
        r: &Reference,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        max: u64,
        progress: Option<&str>,
    ) -> Result<Reply, OciError> {
        let scope_key = (r.registry.clone(), r.repository.clone());
        let mut auth = self
            .tokens
            .lock()
            .ok()
            .and_then(|t| t.get(&scope_key).cloned());
        for attempt in 0..2 {
            let reply = self.raw(method, url, headers, auth.as_deref(), body, max, progress)?;
            if reply.status != 401 || attempt == 1 {
                if reply.status == 401 {
                    let hint = if self.config.credentials.for_registry(&r.registry).is_some() {
                        "the registry refused the credentials"
                    } else {
                        "the registry needs credentials: set CAPLET_REGISTRY_USER and \
                         CAPLET_REGISTRY_PASSWORD or give --credentials FILE"
                    };
                    return fetch_err(format!("{}: unauthorized: {hint}", r.registry));
                }
                return Ok(reply);
            }
            let challenge = reply
                .headers
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok())
                .and_then(parse_challenge);
            let creds = self.config.credentials.for_registry(&r.registry);
            if creds.is_some() && !self.secure(&r.registry) && !is_loopback_registry(&r.registry) {
                return err(format!(
                    "{}: refusing to send credentials over plain HTTP to a registry that is not on this machine",
                    r.registry
                ));
            }
            auth = Some(match challenge {
                Some(Challenge::Basic) | None => {
                    let (u, p) = creds.ok_or_else(|| {
                        OciError::fetch(format!(
                            "{}: unauthorized: the registry needs credentials: set \
                             CAPLET_REGISTRY_USER and CAPLET_REGISTRY_PASSWORD or give --credentials FILE",
                            r.registry
                        ))
                    })?;
                    basic(&u, &p)
                }
                Some(Challenge::Bearer {
                    realm,
                    service,
                    scope,
                }) => {
                    let token = self.token(&r.registry, &realm, service, scope, creds)?;
                    format!("Bearer {token}")
                }
            });
            if let Ok(mut t) = self.tokens.lock() {
                t.insert(scope_key.clone(), auth.clone().unwrap_or_default());
            }
        }
        unreachable!("the loop returns on its second attempt")
    }

    fn token(
        &self,
        registry: &str,
        realm: &str,
        service: Option<String>,
        scope: Option<String>,
        creds: Option<(String, String)>,
    ) -> Result<String, OciError> {
        let mut url = url::Url::parse(realm)
            .map_err(|_| OciError(format!("the registry's token realm `{realm}` is not a URL")))?;
        if creds.is_some() {
            realm_may_get_credentials(registry, &url)?;
        }
        {
            let mut q = url.query_pairs_mut();
            if let Some(s) = &service {
                q.append_pair("service", s);
            }
            if let Some(s) = &scope {
                q.append_pair("scope", s);
            }
        }
        let auth = creds.map(|(u, p)| basic(&u, &p));
        let reply = self.raw(
            "GET",
            url.as_str(),
            &[],
            auth.as_deref(),
            &[],
            64 * 1024,
            None,
        )?;
        if reply.status != 200 {
            return fetch_err(format!(
                "the token service at {realm} answered {}: check the credentials",
                reply.status
            ));
        }
        #[derive(Deserialize)]
        struct Token {
            token: Option<String>,
            access_token: Option<String>,
        }
        let t: Token = serde_json::from_slice(&reply.body)
            .map_err(|_| OciError(format!("the token service at {realm} sent invalid JSON")))?;
        t.token
            .or(t.access_token)
            .ok_or_else(|| OciError(format!("the token service at {realm} sent no token")))
    }

    #[allow(clippy::too_many_arguments)]
    fn raw(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        auth: Option<&str>,
        body: &[u8],
        max: u64,
        progress: Option<&str>,
    ) -> Result<Reply, OciError> {
        let mut b = ureq::http::Request::builder().method(method).uri(url);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        if let Some(a) = auth {
            b = b.header("Authorization", a);
        }
        let req = b
            .body(body.to_vec())
            .map_err(|e| OciError(format!("bad request to {url}: {e}")))?;
        let mut resp = self.agent.run(req).map_err(|e| {
            let host = url::Url::parse(url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_default();
            OciError::fetch(format!("cannot reach the registry at {host} ({url}): {e}"))
        })?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        if method == "HEAD" {
            return Ok(Reply {
                status,
                headers,
                body: Vec::new(),
            });
        }
        let declared = declared_length(&headers);
        if declared.is_some_and(|n| n > max) {
            return err(format!(
                "{url}: the response declares {} bytes, over the {max}-byte cap",
                declared.unwrap_or(0)
            ));
        }
        let mut reader = resp.body_mut().with_config().limit(max + 1).reader();
        let bar = progress.filter(|_| self.config.progress).map(|label| {
            let bar = indicatif::ProgressBar::new(declared.unwrap_or(0));
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.set_message(label.to_string());
            bar
        });
        let mut body = Vec::new();
        let mut chunk = [0u8; 64 * 1024];
        loop {
            let n = reader
                .read(&mut chunk)
                .map_err(|e| OciError(format!("{url}: reading the response: {e}")))?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
            if body.len() as u64 > max {
                return err(format!("{url}: the response exceeds the {max}-byte cap"));
            }
            if let Some(b) = &bar {
                b.set_position(body.len() as u64);
            }
        }
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    fn check_status(r: &Reference, what: &str, reply: &Reply, ok: &[u16]) -> Result<(), OciError> {
        if ok.contains(&reply.status) {
            return Ok(());
        }
        let detail = String::from_utf8_lossy(&reply.body[..reply.body.len().min(300)]).into_owned();
        let why = match reply.status {
            404 => "not found".to_string(),
            s => format!("HTTP {s}"),
        };
        fetch_err(format!("{r}: {what}: {why} {}", detail.trim()))
    }

    fn blob_url(&self, r: &Reference, d: &str) -> String {
        format!("{}/v2/{}/blobs/{d}", self.base(&r.registry), r.repository)
    }

    fn push_blob(&self, r: &Reference, bytes: &[u8], media: &str) -> Result<(), OciError> {
        let d = Digest::of(bytes).to_string();
        let head = self.send(r, "HEAD", &self.blob_url(r, &d), &[], &[], 0, None)?;
        if head.status == 200 {
            return Ok(());
        }
        let start = self.send(
            r,
            "POST",
            &format!(
                "{}/v2/{}/blobs/uploads/",
                self.base(&r.registry),
                r.repository
            ),
            &[("Content-Length", "0")],
            &[],
            64 * 1024,
            None,
        )?;
        Self::check_status(r, "starting a blob upload", &start, &[202])?;
        let location = start
            .headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| OciError(format!("{r}: the registry gave no upload location")))?;
        let base = url::Url::parse(&format!("{}/", self.base(&r.registry)))
            .map_err(|e| OciError(e.to_string()))?;
        let mut upload = base
            .join(location)
            .map_err(|_| OciError(format!("{r}: bad upload location `{location}`")))?;
        upload.query_pairs_mut().append_pair("digest", &d);
        let put = self.send(
            r,
            "PUT",
            upload.as_str(),
            &[("Content-Type", "application/octet-stream")],
            bytes,
            64 * 1024,
            None,
        )?;
        Self::check_status(r, &format!("uploading the {media} blob"), &put, &[201, 204])
    }

    /// Pushes `a` to `r` (its tag, or its digest). Returns the manifest digest.
    pub fn push(&self, r: &Reference, a: &Artifact) -> Result<Digest, OciError> {
        if let Some(d) = r.digest {
            if d != a.manifest_digest {
                return err(format!(
                    "{r}: the reference pins {d}, but the artifact's manifest is {}",
                    a.manifest_digest
                ));
            }
        }
        self.push_blob(r, &a.config, WASM_CONFIG)?;
        self.push_blob(r, &a.module, WASM_LAYER)?;
        let url = format!(
            "{}/v2/{}/manifests/{}",
            self.base(&r.registry),
            r.repository,
            r.target()
        );
        let put = self.send(
            r,
            "PUT",
            &url,
            &[("Content-Type", OCI_MANIFEST)],
            &a.manifest,
            64 * 1024,
            None,
        )?;
        Self::check_status(r, "uploading the manifest", &put, &[201, 204])?;
        Ok(a.manifest_digest)
    }

    /// Fetches `r`, using `store` so nothing is downloaded twice, and verifies
    /// every digest and media type.
    pub fn pull(&self, r: &Reference, store: &Store) -> Result<Artifact, OciError> {
        let limits = self.config.limits;
        let name = r.repository.rsplit('/').next().unwrap_or("plugin");
        if let Some(d) = r.digest {
            if let Some(a) = store.artifact(&d, &limits, name) {
                return Ok(a);
            }
        }
        let url = format!(
            "{}/v2/{}/manifests/{}",
            self.base(&r.registry),
            r.repository,
            r.target()
        );
        let accept = format!("{OCI_MANIFEST}, {OCI_INDEX}");
        let reply = self.send(
            r,
            "GET",
            &url,
            &[("Accept", &accept)],
            &[],
            limits.max_manifest_bytes,
            None,
        )?;
        Self::check_status(r, "fetching the manifest", &reply, &[200])?;
        let got = Digest::of(&reply.body);
        if let Some(want) = r.digest {
            if got != want {
                return err(format!(
                    "{r}: the registry sent a manifest with digest {got}: refused"
                ));
            }
        }
        if let Some(h) = reply
            .headers
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
        {
            if h != got.to_string() {
                return err(format!(
                    "{r}: the manifest hashes to {got}, the registry says {h}: refused"
                ));
            }
        }
        if let Some(content_type) = reply
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
        {
            let ct = content_type.split(';').next().unwrap_or("").trim();
            if ct != OCI_MANIFEST && ct != "application/json" {
                return err(format!(
                    "{r}: wrong media type: the registry served `{ct}`, expected `{OCI_MANIFEST}`"
                ));
            }
        }
        let manifest = reply.body;
        let (config, layer, caplet) = check_manifest(&manifest, &limits)?;
        let fetch = |d: &Descriptor,
                     max: u64,
                     what: &str,
                     progress: Option<&str>|
         -> Result<Vec<u8>, OciError> {
            let digest = parse_digest(&d.digest)?;
            if let Some(bytes) = store.get(&digest, max) {
                return Ok(bytes);
            }
            let reply = self.send(
                r,
                "GET",
                &self.blob_url(r, &d.digest),
                &[],
                &[],
                d.size.min(max),
                progress,
            )?;
            Self::check_status(r, &format!("fetching {what}"), &reply, &[200])?;
            verify_blob(what, &reply.body, d).map_err(|e| OciError(format!("{r}: {e}")))?;
            Ok(reply.body)
        };
        let config_bytes = fetch(&config, limits.max_config_bytes, "the config", None)?;
        let label = format!("pulling {}", r.repository);
        let module = fetch(
            &layer,
            limits.max_blob_bytes,
            "the module layer",
            Some(&label),
        )?;
        let artifact = assemble(manifest, config_bytes, module, caplet, name)
            .map_err(|e| OciError(format!("{r}: {e}")))?;
        store.put_artifact(&artifact)?;
        store.set_tag(r, &artifact.manifest_digest)?;
        Ok(artifact)
    }
}
