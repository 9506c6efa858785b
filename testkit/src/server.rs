//! The HTTP side of the fake API server: binding a loopback port, serving
//! HTTP/1.1 connections with hyper on the caller's tokio runtime (or on a
//! private runtime in a background thread for synchronous tests), recording
//! every request, gzip when the client accepts it, live data updates and
//! shutdown.

use std::convert::Infallible;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex, PoisonError};

use anyhow::{anyhow, Context as _};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{
    HeaderMap, HeaderValue, ACCEPT_ENCODING, AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE,
};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::body::{Payload, ResponseBody};
use crate::collectors::{CollectorBehaviour, Collectors};
use crate::data::ClusterData;
use crate::kubeconfig;
use crate::options::ServerOptions;
use crate::routes::{self, Reply, Server};
use crate::status;
use crate::store::Store;

/// One request as the server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    /// `GET`, ...
    pub method: String,
    /// The URL path, e.g. `/api/v1/pods`.
    pub path: String,
    /// The raw query string without `?`, empty when absent.
    pub query: String,
    /// Whether the request's `Accept-Encoding` allowed a gzip reply.
    pub accepts_gzip: bool,
}

impl LoggedRequest {
    /// Whether the method is a write verb: POST, PUT, PATCH or DELETE.
    pub fn is_write(&self) -> bool {
        matches!(self.method.as_str(), "POST" | "PUT" | "PATCH" | "DELETE")
    }

    /// The decoded value of query parameter `key`.
    pub fn param(&self, key: &str) -> Option<String> {
        crate::query::Query::parse(&self.query)
            .get(key)
            .map(str::to_string)
    }
}

impl fmt::Display for LoggedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.query.is_empty() {
            write!(f, "{} {}", self.method, self.path)
        } else {
            write!(f, "{} {}?{}", self.method, self.path, self.query)
        }
    }
}

/// State shared by all connections.
struct Shared {
    store: Store,
    options: ServerOptions,
    log: Mutex<Vec<LoggedRequest>>,
    address: String,
}

/// What both server flavours expose (they dereference to it): address,
/// request log, data updates, kubeconfig.
#[derive(Clone)]
pub struct ServerHandle {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
}

impl ServerHandle {
    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request received so far, in arrival order.
    pub fn request_log(&self) -> Vec<LoggedRequest> {
        self.shared
            .log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Forgets the requests received so far.
    pub fn clear_request_log(&self) {
        self.shared
            .log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Changes the served data; the resource version moves on, so continue
    /// tokens issued before expire (410). Returns the new resource version.
    pub fn update(&self, change: impl FnOnce(&mut ClusterData)) -> u64 {
        self.shared.store.update(|data| {
            change(data);
            data.resource_version() + 1
        })
    }

    /// Sets what pods created through the API on node `node` do from now
    /// on (pods already created keep theirs).
    pub fn set_collector(&self, node: &str, behaviour: CollectorBehaviour) {
        self.shared
            .store
            .collectors()
            .behaviours
            .insert(node.to_string(), behaviour);
    }

    /// Moves every pod created through the API on `steps` steps (see
    /// [`crate::PodClock`]).
    pub fn advance_pods(&self, steps: u32) {
        self.shared.store.advance_pods(steps);
    }

    /// The requests received so far that use a write verb (POST, PUT,
    /// PATCH, DELETE).
    pub fn write_requests(&self) -> Vec<LoggedRequest> {
        self.request_log()
            .into_iter()
            .filter(LoggedRequest::is_write)
            .collect()
    }

    /// Kubeconfig text (YAML) for this server.
    pub fn kubeconfig(&self) -> String {
        kubeconfig::kubeconfig_yaml(&self.url(), &self.shared.options.token)
    }

    /// Kubeconfig text (YAML) for this server whose user runs `plugin` for
    /// its token instead of carrying one.
    pub fn kubeconfig_exec(&self, plugin: &kubeconfig::ExecPlugin) -> String {
        kubeconfig::kubeconfig_exec_yaml(&self.url(), plugin)
    }

    /// Writes [`ServerHandle::kubeconfig_exec`] to `dir/kubeconfig` and
    /// returns its path.
    pub fn write_kubeconfig_exec(
        &self,
        dir: impl AsRef<Path>,
        plugin: &kubeconfig::ExecPlugin,
    ) -> anyhow::Result<PathBuf> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join("kubeconfig");
        std::fs::write(&path, self.kubeconfig_exec(plugin))
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    /// Writes `dir/kubeconfig` for this server and returns its path.
    pub fn write_kubeconfig(&self, dir: impl AsRef<Path>) -> anyhow::Result<PathBuf> {
        kubeconfig::write_kubeconfig(dir.as_ref(), &self.url(), &self.shared.options.token)
    }

    fn signal_stop(&self) {
        // Fails only when the accept loop is already gone.
        let _ = self.stop.send(true);
    }
}

/// A fake Kubernetes API server on 127.0.0.1, running on the tokio runtime
/// that started it. Dropping it stops accepting connections.
pub struct FakeApiServer {
    handle: ServerHandle,
    task: Option<JoinHandle<()>>,
}

impl FakeApiServer {
    /// Binds 127.0.0.1 (port from `options`, 0 for any) and starts serving
    /// `data` on the current tokio runtime.
    pub async fn start(
        mut data: ClusterData,
        options: ServerOptions,
    ) -> anyhow::Result<FakeApiServer> {
        data.prepare();
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, options.port))
            .await
            .with_context(|| format!("binding 127.0.0.1:{}", options.port))?;
        let addr = listener.local_addr().context("reading the bound address")?;
        let collectors = Collectors::configured(
            options.collectors.clone(),
            options.default_collector.clone(),
            options.pod_steps,
        );
        let shared = Arc::new(Shared {
            store: Store::new(data, collectors),
            options,
            log: Mutex::new(Vec::new()),
            address: addr.to_string(),
        });
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&shared), stopped));
        Ok(FakeApiServer {
            handle: ServerHandle { shared, addr, stop },
            task: Some(task),
        })
    }

    /// Starts a server on a private runtime in a background thread, for
    /// tests that are not async.
    pub fn start_background(
        data: ClusterData,
        options: ServerOptions,
    ) -> anyhow::Result<BackgroundServer> {
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("fakeapi".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = tx.send(Err(anyhow!(e).context("building the server runtime")));
                        return;
                    }
                };
                runtime.block_on(async move {
                    match FakeApiServer::start(data, options).await {
                        Ok(mut server) => {
                            let _ = tx.send(Ok(server.handle.clone()));
                            if let Some(task) = server.task.take() {
                                let _ = task.await;
                            }
                        }
                        Err(e) => {
                            let _ = tx.send(Err(e));
                        }
                    }
                });
            })
            .context("spawning the server thread")?;
        let handle = rx
            .recv()
            .map_err(|_| anyhow!("the server thread ended before starting"))??;
        Ok(BackgroundServer {
            handle,
            thread: Some(thread),
        })
    }

    /// Stops accepting, drops open connections and waits for the server
    /// task to end.
    pub async fn shutdown(mut self) {
        self.handle.signal_stop();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl std::ops::Deref for FakeApiServer {
    type Target = ServerHandle;
    fn deref(&self) -> &ServerHandle {
        &self.handle
    }
}

impl Drop for FakeApiServer {
    fn drop(&mut self) {
        self.handle.signal_stop();
    }
}

/// A fake API server running in its own thread; see
/// [`FakeApiServer::start_background`]. Dropping it shuts it down and joins
/// the thread.
pub struct BackgroundServer {
    handle: ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BackgroundServer {
    /// Stops the server and joins its thread.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        self.handle.signal_stop();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl std::ops::Deref for BackgroundServer {
    type Target = ServerHandle;
    fn deref(&self) -> &ServerHandle {
        &self.handle
    }
}

impl Drop for BackgroundServer {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

/// Accepts connections until told to stop; open connections are aborted
/// when it returns.
async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            changed = stopped.changed() => {
                if changed.is_err() || *stopped.borrow() {
                    break;
                }
            }
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let shared = Arc::clone(&shared);
                connections.spawn(async move {
                    let service = service_fn(move |request| {
                        let shared = Arc::clone(&shared);
                        async move { Ok::<_, Infallible>(serve(&shared, request).await) }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}

/// Answers one HTTP request.
async fn serve(shared: &Shared, request: Request<Incoming>) -> Response<ResponseBody> {
    let method = request.method().as_str().to_string();
    let path = request.uri().path().to_string();
    let query = request.uri().query().unwrap_or("").to_string();
    let headers = request.headers().clone();
    let gzip = accepts_gzip(&headers);
    shared
        .log
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(LoggedRequest {
            method: method.clone(),
            path: path.clone(),
            query: query.clone(),
            accepts_gzip: gzip,
        });
    let authorization = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok());
    let body = match method.as_str() {
        "POST" | "PUT" | "PATCH" => match read_body(request.into_body()).await {
            Some(body) => body,
            None => return respond(status::too_large().into(), false, None),
        },
        _ => Vec::new(),
    };
    let server = Server {
        store: &shared.store,
        options: &shared.options,
        address: &shared.address,
    };
    let reply = routes::handle(
        &server,
        &routes::Request {
            method: &method,
            path: &path,
            query: &query,
            authorization,
            body: &body,
        },
    )
    .await;
    let compress = gzip
        && !matches!(reply.body, Payload::Gzipped(_))
        && reply.body.len() >= shared.options.gzip_min_bytes as u64;
    let trickle = reply.trickle;
    respond(reply, compress, trickle)
}

/// Largest request body read (as the API server's 3 MiB limit).
const MAX_REQUEST_BODY: usize = 3 * 1024 * 1024;

/// The request body, `None` when it is over [`MAX_REQUEST_BODY`] or broken.
async fn read_body(body: Incoming) -> Option<Vec<u8>> {
    let collected = Limited::new(body, MAX_REQUEST_BODY).collect().await.ok()?;
    Some(collected.to_bytes().to_vec())
}

/// Whether `Accept-Encoding` allows gzip.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or("");
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

/// The HTTP response for `reply`; `compress` gzips a plain body, `trickle`
/// sends at most that many bytes a second.
fn respond(reply: Reply, compress: bool, trickle: Option<u64>) -> Response<ResponseBody> {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let encoded = ResponseBody::encoded(&reply.body, compress);
    let mut response = Response::new(ResponseBody::new(reply.body, compress, trickle));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(reply.content_type));
    headers.insert(
        "cache-control",
        HeaderValue::from_static("no-cache, private"),
    );
    if encoded {
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    for (name, value) in reply.headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_negotiation() {
        let mut headers = HeaderMap::new();
        assert!(!accepts_gzip(&headers));
        headers.insert(
            ACCEPT_ENCODING,
            HeaderValue::from_static("deflate, gzip;q=0.5"),
        );
        assert!(accepts_gzip(&headers));
        headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("gzip;q=0"));
        assert!(!accepts_gzip(&headers));
        headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("identity"));
        assert!(!accepts_gzip(&headers));
    }
}
