//! HTTP-level tests of the fake API server against the sample bundle in
//! `tests/data/bundle`: bundle loading (JSON, YAML, single objects,
//! multi-document YAML), chunked lists, selectors, Status error bodies,
//! injected failures, gzip, tokens and pod logs.

mod common;

use std::collections::BTreeSet;
use std::io::Read;
use std::time::{Duration, Instant};

use anyhow::Context;
use common::{all_pages, bundle_dir, get, get_with, item_keys};
use serde_json::{json, Value};
use windoctor_testkit::{
    BackgroundServer, ClusterData, FakeApiServer, ResourceKind, ServerOptions,
};

fn start(options: ServerOptions) -> anyhow::Result<BackgroundServer> {
    let data = ClusterData::from_bundle_dir(bundle_dir())?;
    FakeApiServer::start_background(data, options)
}

fn list_keys(server: &BackgroundServer, path: &str) -> anyhow::Result<Vec<String>> {
    let response = get(server.addr(), path)?;
    anyhow::ensure!(
        response.status == 200,
        "{path}: {} {}",
        response.status,
        response.text()
    );
    Ok(item_keys(&response.json()?))
}

const LISTS: [(&str, &[&str]); 8] = [
    ("/api/v1/nodes", &["linux-cp-1", "win-node-1", "win-node-2"]),
    (
        "/api/v1/pods",
        &[
            "default/db-0",
            "default/web-0",
            "default/web-1",
            "jobs/batch-job-q8x2z",
            "kube-system/calico-node-x7k2p",
            "kube-system/coredns-7db6d8ff4d-2xk9w",
            "kube-system/kube-proxy-windows-abcde",
        ],
    ),
    (
        "/api/v1/events",
        &[
            "default/web-0.17a1",
            "default/web-1.17a2",
            "default/win-node-2.17a4",
            "kube-system/calico-node-x7k2p.17a3",
        ],
    ),
    ("/api/v1/services", &["default/web"]),
    (
        "/api/v1/configmaps",
        &[
            "default/kube-root-ca.crt",
            "kube-system/calico-config",
            "kube-system/kube-proxy-windows",
        ],
    ),
    (
        "/apis/apps/v1/daemonsets",
        &[
            "kube-system/calico-node-windows",
            "kube-system/kube-proxy-windows",
        ],
    ),
    ("/apis/node.k8s.io/v1/runtimeclasses", &["windows-2022"]),
    (
        "/api/v1/namespaces",
        &[
            "default",
            "jobs",
            "kube-node-lease",
            "kube-public",
            "kube-system",
        ],
    ),
];

#[test]
fn bundle_loads_every_format() -> anyhow::Result<()> {
    let data = ClusterData::from_bundle_dir(bundle_dir())?;
    // nodes.json and configmaps.json are Lists, pods.yaml a YAML List,
    // services.yml a single object, daemonsets.yaml two documents,
    // runtimeclasses.yaml a single object.
    assert_eq!(data.len(ResourceKind::Nodes), 3);
    assert_eq!(data.len(ResourceKind::Pods), 7);
    assert_eq!(data.len(ResourceKind::Events), 4);
    assert_eq!(data.len(ResourceKind::Services), 1);
    assert_eq!(data.len(ResourceKind::DaemonSets), 2);
    assert_eq!(data.len(ResourceKind::ConfigMaps), 3);
    assert_eq!(data.len(ResourceKind::RuntimeClasses), 1);
    assert!(ClusterData::from_bundle_dir(bundle_dir().join("nope")).is_err());
    Ok(())
}

#[test]
fn lists_every_kind_sorted_with_list_envelope() -> anyhow::Result<()> {
    let server = start(ServerOptions::new())?;
    for (path, expected) in LISTS {
        assert_eq!(list_keys(&server, path)?, expected, "{path}");
    }
    let list = get(server.addr(), "/apis/apps/v1/daemonsets")?;
    assert_eq!(list.header("content-type"), Some("application/json"));
    let list = list.json()?;
    assert_eq!(list["kind"], "DaemonSetList");
    assert_eq!(list["apiVersion"], "apps/v1");
    assert!(list["metadata"]["resourceVersion"]
        .as_str()
        .is_some_and(|rv| !rv.is_empty()));
    assert!(list["metadata"].get("continue").is_none());
    assert_eq!(list["items"][0]["kind"], "DaemonSet");
    assert_eq!(list["items"][0]["apiVersion"], "apps/v1");
    // Namespaced lists.
    assert_eq!(
        list_keys(&server, "/api/v1/namespaces/kube-system/pods")?,
        [
            "kube-system/calico-node-x7k2p",
            "kube-system/coredns-7db6d8ff4d-2xk9w",
            "kube-system/kube-proxy-windows-abcde"
        ]
    );
    assert!(list_keys(&server, "/api/v1/namespaces/absent/pods")?.is_empty());
    assert_eq!(
        list_keys(&server, "/apis/apps/v1/namespaces/kube-system/daemonsets")?.len(),
        2
    );
    Ok(())
}

#[test]
fn pagination_returns_every_item_exactly_once() -> anyhow::Result<()> {
    let server = start(ServerOptions::new())?;
    for (path, expected) in LISTS {
        for limit in 1..=expected.len() + 1 {
            let pages = all_pages(server.addr(), &format!("{path}?limit={limit}"))?;
            let keys: Vec<String> = pages.iter().flat_map(item_keys).collect();
            assert_eq!(keys, expected, "{path} limit={limit}");
            assert_eq!(
                pages.len(),
                expected.len().div_ceil(limit).max(1),
                "{path} limit={limit}"
            );
            for (i, page) in pages.iter().enumerate() {
                assert!(page["items"]
                    .as_array()
                    .is_some_and(|items| items.len() <= limit));
                let remaining = page["metadata"]["remainingItemCount"].as_u64();
                if i + 1 < pages.len() {
                    let seen = (i + 1) * limit;
                    assert_eq!(
                        remaining,
                        Some((expected.len() - seen) as u64),
                        "{path} page {i}"
                    );
                } else {
                    assert_eq!(remaining, None);
                    assert!(page["metadata"].get("continue").is_none());
                }
            }
        }
    }
    // The log shows the client's continue tokens being honoured.
    let log = server.request_log();
    assert!(log.iter().any(|r| r.path == "/api/v1/pods"
        && r.param("limit").as_deref() == Some("2")
        && r.param("continue").is_some()));
    Ok(())
}

#[test]
fn pagination_with_selectors_and_namespace() -> anyhow::Result<()> {
    let server = start(ServerOptions::new())?;
    let pages = all_pages(
        server.addr(),
        "/api/v1/pods?limit=1&fieldSelector=spec.nodeName%3Dwin-node-1",
    )?;
    let keys: Vec<String> = pages.iter().flat_map(item_keys).collect();
    assert_eq!(
        keys,
        [
            "default/web-0",
            "default/web-1",
            "kube-system/kube-proxy-windows-abcde"
        ]
    );
    // No remainingItemCount when a selector filters, as on the real server.
    assert!(pages[0]["metadata"].get("remainingItemCount").is_none());
    assert!(pages[0]["metadata"]["continue"].is_string());
    let pages = all_pages(server.addr(), "/api/v1/namespaces/default/pods?limit=2")?;
    let keys: Vec<String> = pages.iter().flat_map(item_keys).collect();
    assert_eq!(keys, ["default/db-0", "default/web-0", "default/web-1"]);
    Ok(())
}

#[test]
fn max_page_caps_the_limit() -> anyhow::Result<()> {
    let server = start(ServerOptions::new().max_page(2))?;
    let pages = all_pages(server.addr(), "/api/v1/pods?limit=500")?;
    assert_eq!(pages.len(), 4);
    assert_eq!(pages.iter().flat_map(item_keys).count(), 7);
    // Without a limit the whole list comes back.
    assert_eq!(list_keys(&server, "/api/v1/pods")?.len(), 7);
    Ok(())
}

#[test]
fn label_selectors() -> anyhow::Result<()> {
    let server = start(ServerOptions::new())?;
    let cases: [(&str, &[&str]); 8] = [
        ("app%3Dweb", &["default/web-0", "default/web-1"]),
        ("app%3D%3Dweb", &["default/web-0", "default/web-1"]),
        (
            "app!%3Dweb",
            &[
                "default/db-0",
                "jobs/batch-job-q8x2z",
                "kube-system/calico-node-x7k2p",
                "kube-system/coredns-7db6d8ff4d-2xk9w",
                "kube-system/kube-proxy-windows-abcde",
            ],
        ),
        (
            "k8s-app+in+(calico-node,+kube-proxy)",
            &[
                "kube-system/calico-node-x7k2p",
                "kube-system/kube-proxy-windows-abcde",
            ],
        ),
        (
            "k8s-app%20notin%20(kube-dns),app%20notin%20(web,db)",
            &[
                "jobs/batch-job-q8x2z",
                "kube-system/calico-node-x7k2p",
                "kube-system/kube-proxy-windows-abcde",
            ],
        ),
        ("tier", &["default/web-0", "default/web-1"]),
        (
            "!app",
            &[
                "kube-system/calico-node-x7k2p",
                "kube-system/coredns-7db6d8ff4d-2xk9w",
                "kube-system/kube-proxy-windows-abcde",
            ],
        ),
        ("app%3Dweb,tier%3Dbackend", &[]),
    ];
    for (selector, expected) in cases {
        let keys = list_keys(&server, &format!("/api/v1/pods?labelSelector={selector}"))?;
        assert_eq!(keys, expected, "{selector}");
    }
    let bad = get(server.addr(), "/api/v1/pods?labelSelector=app%20in%20web")?;
    assert_eq!(bad.status, 400);
    let bad = bad.json()?;
    assert_eq!(bad["reason"], "BadRequest");
    assert!(bad["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("unable to parse requirement")));
    Ok(())
}

#[test]
fn field_selectors() -> anyhow::Result<()> {
    let server = start(ServerOptions::new())?;
    let cases: [(&str, &str, &[&str]); 10] = [
        (
            "/api/v1/pods",
            "spec.nodeName=win-node-2",
            &["jobs/batch-job-q8x2z", "kube-system/calico-node-x7k2p"],
        ),
        ("/api/v1/pods", "status.phase!=Running", &["default/web-1", "jobs/batch-job-q8x2z"]),
        (
            "/api/v1/pods",
            "status.phase==Running,spec.nodeName=win-node-1",
            &["default/web-0", "kube-system/kube-proxy-windows-abcde"],
        ),
        ("/api/v1/pods", "metadata.name=db-0", &["default/db-0"]),
        (
            "/api/v1/pods",
            "metadata.namespace=kube-system,spec.hostNetwork=true",
            &["kube-system/calico-node-x7k2p", "kube-system/kube-proxy-windows-abcde"],
        ),
        (
            "/api/v1/events",
            "involvedObject.kind=Node",
            &["default/win-node-2.17a4"],
        ),
        (
            "/api/v1/events",
            "type=Warning,reason!=BackOff",
            &["default/web-1.17a2"],
        ),
        (
            "/api/v1/events",
            "involvedObject.name=web-0,involvedObject.namespace=default,involvedObject.uid=uid-web-0",
            &["default/web-0.17a1"],
        ),
        ("/api/v1/nodes", "spec.unschedulable=true", &["win-node-2"]),
        ("/api/v1/nodes", "spec.unschedulable=false", &["linux-cp-1", "win-node-1"]),
    ];
    for (path, selector, expected) in cases {
        let encoded = selector.replace('=', "%3D").replace(',', "%2C");
        let keys = list_keys(&server, &format!("{path}?fieldSelector={encoded}"))?;
        assert_eq!(keys, expected, "{path} {selector}");
    }
    let bad = get(
        server.addr(),
        "/api/v1/events?fieldSelector=spec.nodeName%3Dx",
    )?;
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.text(),
        r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"field label not supported: spec.nodeName","reason":"BadRequest","code":400}"#
    );
    Ok(())
}

#[test]
fn forbidden_bodies() -> anyhow::Result<()> {
    let server = start(ServerOptions::new().forbid("events").forbid("DaemonSets"))?;
    let response = get(server.addr(), "/api/v1/events?limit=500")?;
    assert_eq!(response.status, 403);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(
        response.text(),
        r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"events is forbidden: User \"system:serviceaccount:default:windoctor\" cannot list resource \"events\" in API group \"\" at the cluster scope","reason":"Forbidden","details":{"kind":"events"},"code":403}"#
    );
    let response = get(
        server.addr(),
        "/apis/apps/v1/namespaces/kube-system/daemonsets",
    )?
    .json()?;
    assert_eq!(
        response["message"],
        "daemonsets.apps is forbidden: User \"system:serviceaccount:default:windoctor\" cannot list resource \"daemonsets\" in API group \"apps\" in the namespace \"kube-system\""
    );
    assert_eq!(
        response["details"],
        json!({"group": "apps", "kind": "daemonsets"})
    );
    let response = get(
        server.addr(),
        "/api/v1/namespaces/default/events/web-0.17a1",
    )?
    .json()?;
    assert_eq!(
        response["message"],
        "events \"web-0.17a1\" is forbidden: User \"system:serviceaccount:default:windoctor\" cannot get resource \"events\" in API group \"\" in the namespace \"default\""
    );
    // Other resources and discovery are unaffected.
    assert_eq!(get(server.addr(), "/api/v1/pods")?.status, 200);
    let discovery = get(server.addr(), "/api/v1")?.json()?;
    assert!(discovery["resources"]
        .as_array()
        .is_some_and(|r| r.iter().any(|r| r["name"] == "events")));
    Ok(())
}

#[test]
fn not_found_bodies() -> anyhow::Result<()> {
    let server = start(ServerOptions::new().not_found("runtimeclasses"))?;
    let response = get(server.addr(), "/api/v1/nodes/win-node-9")?;
    assert_eq!(response.status, 404);
    assert_eq!(
        response.text(),
        r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"nodes \"win-node-9\" not found","reason":"NotFound","details":{"name":"win-node-9","kind":"nodes"},"code":404}"#
    );
    let response = get(server.addr(), "/api/v1/namespaces/jobs/pods/web-0")?;
    assert_eq!(response.status, 404);
    assert_eq!(response.json()?["message"], "pods \"web-0\" not found");
    // The injected absence looks like a cluster without node.k8s.io.
    let response = get(server.addr(), "/apis/node.k8s.io/v1/runtimeclasses")?;
    assert_eq!(response.status, 404);
    assert_eq!(
        response.text(),
        r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","details":{},"code":404}"#
    );
    assert_eq!(get(server.addr(), "/apis/node.k8s.io/v1")?.status, 404);
    let groups = get(server.addr(), "/apis")?.json()?;
    let names: Vec<&str> = groups["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|g| g["name"].as_str())
        .collect();
    assert_eq!(names, ["apps"]);
    // Paths nobody serves.
    assert_eq!(get(server.addr(), "/openapi/v3")?.status, 404);
    assert_eq!(get(server.addr(), "/openapi/v2")?.status, 404);
    assert_eq!(get(server.addr(), "/apis/batch/v1/jobs")?.status, 404);
    Ok(())
}

#[test]
fn get_single_objects() -> anyhow::Result<()> {
    let server = start(ServerOptions::new())?;
    let node = get(server.addr(), "/api/v1/nodes/win-node-1")?.json()?;
    assert_eq!(node["kind"], "Node");
    assert_eq!(node["metadata"]["labels"]["kubernetes.io/os"], "windows");
    let pod = get(
        server.addr(),
        "/api/v1/namespaces/kube-system/pods/calico-node-x7k2p",
    )?
    .json()?;
    assert_eq!(pod["spec"]["nodeName"], "win-node-2");
    let ds = get(
        server.addr(),
        "/apis/apps/v1/namespaces/kube-system/daemonsets/kube-proxy-windows",
    )?
    .json()?;
    assert_eq!(ds["status"]["numberReady"], 2);
    let rc = get(
        server.addr(),
        "/apis/node.k8s.io/v1/runtimeclasses/windows-2022",
    )?
    .json()?;
    assert_eq!(rc["handler"], "runhcs-wcow-process");
    let ns = get(server.addr(), "/api/v1/namespaces/jobs")?.json()?;
    assert_eq!(ns["status"]["phase"], "Active");
    let version = get(server.addr(), "/version")?.json()?;
    assert_eq!(version["gitVersion"], "v1.32.2");
    Ok(())
}

#[test]
fn continue_token_errors() -> anyhow::Result<()> {
    let server = start(ServerOptions::new())?;
    let first = get(server.addr(), "/api/v1/pods?limit=2")?.json()?;
    let token = first["metadata"]["continue"]
        .as_str()
        .context("first page has a continue token")?
        .to_string();

    let malformed = get(server.addr(), "/api/v1/pods?limit=2&continue=not*base64")?;
    assert_eq!(malformed.status, 400);
    let body = malformed.json()?;
    assert_eq!(body["reason"], "BadRequest");
    assert!(body["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("continue key is not valid")));
    let not_json = get(server.addr(), "/api/v1/pods?limit=2&continue=aGVsbG8")?;
    assert_eq!(not_json.status, 400);

    // The data changes: the token belongs to an older resource version.
    let rv = server.update(|data| {
        let _ = data.add(
            ResourceKind::Pods,
            json!({"metadata": {"name": "late", "namespace": "default"}}),
        );
    });
    assert_eq!(
        get(server.addr(), "/api/v1/pods")?.json()?["metadata"]["resourceVersion"],
        rv.to_string()
    );
    let expired = get(
        server.addr(),
        &format!("/api/v1/pods?limit=2&continue={token}"),
    )?;
    assert_eq!(expired.status, 410);
    assert_eq!(
        expired.text(),
        r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.","reason":"Expired","code":410}"#
    );
    assert_eq!(
        list_keys(&server, "/api/v1/namespaces/default/pods")?.len(),
        4
    );
    Ok(())
}

#[test]
fn gzip_when_accepted() -> anyhow::Result<()> {
    let server = start(ServerOptions::new())?;
    let plain = get(server.addr(), "/api/v1/pods")?;
    assert_eq!(plain.header("content-encoding"), None);
    let zipped = get_with(
        server.addr(),
        "/api/v1/pods",
        &[("Accept-Encoding", "gzip, deflate")],
    )?;
    assert_eq!(zipped.status, 200);
    assert_eq!(zipped.header("content-encoding"), Some("gzip"));
    assert_eq!(zipped.header("content-type"), Some("application/json"));
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&zipped.body[..]).read_to_end(&mut unzipped)?;
    assert_eq!(unzipped, plain.body);
    // Errors are compressed too.
    let error = get_with(
        server.addr(),
        "/api/v1/nodes/x",
        &[("Accept-Encoding", "gzip")],
    )?;
    assert_eq!(error.status, 404);
    assert_eq!(error.header("content-encoding"), Some("gzip"));

    let threshold = start(ServerOptions::new().gzip_min_bytes(1 << 20))?;
    let small = get_with(
        threshold.addr(),
        "/api/v1/pods",
        &[("Accept-Encoding", "gzip")],
    )?;
    assert_eq!(small.header("content-encoding"), None);
    Ok(())
}

#[test]
fn injected_status_and_delay() -> anyhow::Result<()> {
    let server = start(
        ServerOptions::new()
            .status("configmaps", 500)
            .status("services", 503)
            .delay("nodes", Duration::from_millis(300)),
    )?;
    let response = get(server.addr(), "/api/v1/configmaps")?;
    assert_eq!(response.status, 500);
    let body = response.json()?;
    assert_eq!(body["reason"], "InternalError");
    assert_eq!(body["code"], 500);
    assert_eq!(body["details"]["causes"][0]["message"], "injected failure");
    assert_eq!(
        get(server.addr(), "/api/v1/services")?.json()?["reason"],
        "ServiceUnavailable"
    );
    let started = Instant::now();
    assert_eq!(get(server.addr(), "/api/v1/nodes")?.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    let started = Instant::now();
    assert_eq!(get(server.addr(), "/api/v1/pods")?.status, 200);
    assert!(started.elapsed() < Duration::from_millis(300));
    Ok(())
}

#[test]
fn bearer_token_required() -> anyhow::Result<()> {
    let server = start(ServerOptions::new().require_token(true).token("s3cret"))?;
    let response = get(server.addr(), "/api/v1/nodes")?;
    assert_eq!(response.status, 401);
    assert_eq!(
        response.text(),
        r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}"#
    );
    let wrong = get_with(
        server.addr(),
        "/api/v1/nodes",
        &[("Authorization", "Bearer nope")],
    )?;
    assert_eq!(wrong.status, 401);
    let right = get_with(
        server.addr(),
        "/api/v1/nodes",
        &[("Authorization", "Bearer s3cret")],
    )?;
    assert_eq!(right.status, 200);
    assert!(server.kubeconfig().contains("token: \"s3cret\""));
    Ok(())
}

#[test]
fn pod_logs() -> anyhow::Result<()> {
    let server = start(ServerOptions::new().forbid("pods/log"))?;
    let forbidden = get(
        server.addr(),
        "/api/v1/namespaces/default/pods/web-0/log?container=web",
    )?;
    assert_eq!(forbidden.status, 403);
    assert_eq!(
        forbidden.json()?["message"],
        "pods \"web-0\" is forbidden: User \"system:serviceaccount:default:windoctor\" cannot get resource \"pods/log\" in API group \"\" in the namespace \"default\""
    );
    drop(server);

    let server = start(ServerOptions::new())?;
    let log = get(
        server.addr(),
        "/api/v1/namespaces/default/pods/web-0/log?container=web",
    )?;
    assert_eq!(log.status, 200);
    assert!(log
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/plain")));
    assert_eq!(
        log.text(),
        "W0112 09:58:01 Starting IIS\nW0112 09:58:02 Listening on :80\nW0112 09:58:03 Ready\n"
    );
    // The only container is the default.
    let log = get(
        server.addr(),
        "/api/v1/namespaces/default/pods/web-0/log?tailLines=1",
    )?;
    assert_eq!(log.text(), "W0112 09:58:03 Ready\n");
    let previous = get(
        server.addr(),
        "/api/v1/namespaces/kube-system/pods/calico-node-x7k2p/log?container=calico-node&previous=true",
    )?;
    assert!(previous.text().contains("[FATAL] exiting"));
    // No log stored for an existing container, an unknown container, a
    // missing pod, a pod with several containers and no choice.
    let missing = get(
        server.addr(),
        "/api/v1/namespaces/default/pods/web-1/log?container=web",
    )?;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()?["kind"], "Status");
    let unknown = get(
        server.addr(),
        "/api/v1/namespaces/default/pods/web-0/log?container=sidecar",
    )?;
    assert_eq!(unknown.status, 400);
    assert_eq!(
        unknown.json()?["message"],
        "container sidecar is not valid for pod web-0"
    );
    let no_pod = get(
        server.addr(),
        "/api/v1/namespaces/default/pods/ghost/log?container=x",
    )?;
    assert_eq!(no_pod.status, 404);
    assert_eq!(no_pod.json()?["message"], "pods \"ghost\" not found");
    let choose = get(server.addr(), "/api/v1/namespaces/default/pods/db-0/log")?;
    assert_eq!(choose.status, 400);
    assert_eq!(
        choose.json()?["message"],
        "a container name must be specified for pod db-0, choose one of: [postgres exporter]"
    );
    Ok(())
}

#[test]
fn discovery_documents() -> anyhow::Result<()> {
    let server = start(ServerOptions::new())?;
    let api = get(server.addr(), "/api")?.json()?;
    assert_eq!(api["kind"], "APIVersions");
    assert_eq!(api["versions"], json!(["v1"]));
    // A client asking for aggregated discovery gets the legacy document.
    let aggregated = get_with(
        server.addr(),
        "/apis",
        &[(
            "Accept",
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json",
        )],
    )?;
    assert_eq!(aggregated.header("content-type"), Some("application/json"));
    let groups = aggregated.json()?;
    assert_eq!(groups["kind"], "APIGroupList");
    let names: BTreeSet<&str> = groups["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|g| g["name"].as_str())
        .collect();
    assert_eq!(names, BTreeSet::from(["apps", "node.k8s.io"]));
    let core = get(server.addr(), "/api/v1")?.json()?;
    let pods = core["resources"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["name"] == "pods"))
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(pods["kind"], "Pod");
    assert_eq!(pods["namespaced"], true);
    assert_eq!(pods["shortNames"], json!(["po"]));
    assert_eq!(pods["verbs"], json!(["get", "list"]));
    let apps = get(server.addr(), "/apis/apps/v1")?.json()?;
    assert_eq!(apps["groupVersion"], "apps/v1");
    assert_eq!(apps["resources"][0]["name"], "daemonsets");
    let node = get(server.addr(), "/apis/node.k8s.io")?.json()?;
    assert_eq!(node["preferredVersion"]["groupVersion"], "node.k8s.io/v1");
    assert_eq!(get(server.addr(), "/healthz")?.text(), "ok");
    Ok(())
}

#[test]
fn request_log_records_method_path_and_query() -> anyhow::Result<()> {
    let server = start(ServerOptions::new())?;
    get(
        server.addr(),
        "/api/v1/pods?limit=3&labelSelector=app%3Dweb",
    )?;
    get(server.addr(), "/version")?;
    let log = server.request_log();
    let lines: Vec<String> = log.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "GET /api/v1/pods?limit=3&labelSelector=app%3Dweb",
            "GET /version"
        ]
    );
    assert_eq!(log[0].param("labelSelector").as_deref(), Some("app=web"));
    server.clear_request_log();
    assert!(server.request_log().is_empty());
    Ok(())
}

#[test]
fn generated_data_and_shutdown() -> anyhow::Result<()> {
    let mut data = ClusterData::new();
    for i in 0..250 {
        data.add_object(json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": format!("pod-{i:04}"), "namespace": format!("ns-{}", i % 3)},
            "spec": {"nodeName": format!("node-{}", i % 5)}
        }))?;
    }
    let server = FakeApiServer::start_background(data, ServerOptions::new())?;
    let pages = all_pages(server.addr(), "/api/v1/pods?limit=100")?;
    assert_eq!(pages.len(), 3);
    let keys: BTreeSet<String> = pages.iter().flat_map(item_keys).collect();
    assert_eq!(keys.len(), 250);
    assert_eq!(
        list_keys(&server, "/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-1")?.len(),
        50
    );
    let addr = server.addr();
    server.shutdown();
    assert!(get(addr, "/version").is_err());
    Ok(())
}
