//! Creating and deleting pods as windoctor's opt-in fleet collection does,
//! with the collector behaviours a test registers per node: runs and logs a
//! payload, never starts, is refused by Pod Security admission, fails. The
//! request log tells reads from writes. Driven with plain HTTP and kube-rs.

mod common;

use common::{bundle_dir, delete, get, item_keys, post};
use serde_json::{json, Value};
use windoctor_testkit::{
    BackgroundServer, ClusterData, CollectorBehaviour, FakeApiServer, PodClock, ServerOptions,
};

fn start(options: ServerOptions) -> anyhow::Result<BackgroundServer> {
    let data = ClusterData::from_bundle_dir(bundle_dir())?;
    FakeApiServer::start_background(data, options)
}

/// A HostProcess collector pod for `node`, as a fleet collection would send.
fn collector(name: &str, node: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/name": "windoctor-collector"}},
        "spec": {
            "nodeName": node,
            "hostNetwork": true,
            "restartPolicy": "Never",
            "securityContext": {"windowsOptions": {"hostProcess": true, "runAsUserName": "NT AUTHORITY\\SYSTEM"}},
            "containers": [{"name": "collect", "image": "mcr.microsoft.com/windows/nanoserver:ltsc2022",
                            "command": ["powershell.exe", "-File", "collect.ps1"]}],
            "nodeSelector": {"kubernetes.io/os": "windows"}
        }
    })
}

const PODS: &str = "/api/v1/namespaces/default/pods";

fn phase(server: &BackgroundServer, name: &str) -> anyhow::Result<String> {
    let pod = get(server.addr(), &format!("{PODS}/{name}"))?.json()?;
    Ok(pod["status"]["phase"].as_str().unwrap_or("").to_string())
}

#[test]
fn collector_runs_logs_and_succeeds() -> anyhow::Result<()> {
    let payload = "H4sIAAAAAAAA/+3OMQ6CQBCF4al3ij0BzCwsnMbCwsKCxsLKxmgszPq3Xg==\n";
    let server =
        start(ServerOptions::new().collector("win-node-1", CollectorBehaviour::runs(payload)))?;
    let created = post(
        server.addr(),
        PODS,
        &collector("collect-win-node-1", "win-node-1"),
    )?;
    assert_eq!(created.status, 201, "{}", created.text());
    let pod = created.json()?;
    assert_eq!(pod["metadata"]["namespace"], "default");
    assert!(pod["metadata"]["uid"]
        .as_str()
        .is_some_and(|u| u.len() == 36));
    assert!(pod["metadata"]["creationTimestamp"].is_string());
    assert!(pod["metadata"]["resourceVersion"].is_string());
    assert_eq!(pod["status"]["phase"], "Pending");

    // Each request on pods moves it on a step: Pending, Running, Succeeded.
    assert_eq!(phase(&server, "collect-win-node-1")?, "Pending");
    let log = get(server.addr(), &format!("{PODS}/collect-win-node-1/log"))?;
    assert_eq!(log.status, 200);
    assert_eq!(log.text(), payload);
    let pod = get(server.addr(), &format!("{PODS}/collect-win-node-1"))?.json()?;
    assert_eq!(pod["status"]["phase"], "Succeeded");
    assert_eq!(
        pod["status"]["containerStatuses"][0]["state"]["terminated"]["reason"],
        "Completed"
    );

    // Listed with a label selector, like any pod.
    let list = get(
        server.addr(),
        "/api/v1/pods?labelSelector=app.kubernetes.io%2Fname%3Dwindoctor-collector",
    )?
    .json()?;
    assert_eq!(item_keys(&list), ["default/collect-win-node-1"]);
    assert_eq!(list["items"][0]["status"]["phase"], "Succeeded");

    // A duplicate name.
    let duplicate = post(
        server.addr(),
        PODS,
        &collector("collect-win-node-1", "win-node-1"),
    )?;
    assert_eq!(duplicate.status, 409);
    assert_eq!(
        duplicate.text(),
        r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"collect-win-node-1\" already exists","reason":"AlreadyExists","details":{"name":"collect-win-node-1","kind":"pods"},"code":409}"#
    );

    // Delete returns the object marked for deletion, then it is gone.
    let deleted = delete(server.addr(), &format!("{PODS}/collect-win-node-1"))?;
    assert_eq!(deleted.status, 200);
    let deleted = deleted.json()?;
    assert_eq!(deleted["metadata"]["name"], "collect-win-node-1");
    assert!(deleted["metadata"]["deletionTimestamp"].is_string());
    let again = delete(server.addr(), &format!("{PODS}/collect-win-node-1"))?;
    assert_eq!(again.status, 404);
    assert_eq!(
        again.json()?["message"],
        "pods \"collect-win-node-1\" not found"
    );
    assert_eq!(
        get(server.addr(), &format!("{PODS}/collect-win-node-1"))?.status,
        404
    );

    // The request log tells the writes apart.
    let writes: Vec<String> = server
        .write_requests()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        writes,
        [
            "POST /api/v1/namespaces/default/pods",
            "POST /api/v1/namespaces/default/pods",
            "DELETE /api/v1/namespaces/default/pods/collect-win-node-1",
            "DELETE /api/v1/namespaces/default/pods/collect-win-node-1"
        ]
    );
    Ok(())
}

#[test]
fn read_only_clients_send_no_write_verb() -> anyhow::Result<()> {
    let server = start(ServerOptions::new())?;
    for path in [
        "/api/v1/pods",
        "/api/v1/nodes",
        "/api/v1/namespaces/default/pods/web-0",
    ] {
        assert_eq!(get(server.addr(), path)?.status, 200);
    }
    assert!(server.write_requests().is_empty());
    assert!(server.request_log().iter().all(|r| !r.is_write()));
    // Writes the fake does not implement are still logged as writes.
    let put = common::request(server.addr(), "PUT", "/api/v1/nodes/win-node-1", &[], b"{}")?;
    assert_eq!(put.status, 405);
    let patch = common::request(
        server.addr(),
        "PATCH",
        "/api/v1/nodes/win-node-1",
        &[],
        b"{}",
    )?;
    assert_eq!(patch.status, 405);
    let methods: Vec<String> = server
        .write_requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        methods,
        [
            "PUT /api/v1/nodes/win-node-1",
            "PATCH /api/v1/nodes/win-node-1"
        ]
    );
    Ok(())
}

#[test]
fn collector_never_starts() -> anyhow::Result<()> {
    let server = start(
        ServerOptions::new()
            .collector(
                "win-node-1",
                CollectorBehaviour::image_pull_backoff("example/collector:1"),
            )
            .collector("win-node-2", CollectorBehaviour::container_creating()),
    )?;
    assert_eq!(
        post(server.addr(), PODS, &collector("c1", "win-node-1"))?.status,
        201
    );
    assert_eq!(
        post(server.addr(), PODS, &collector("c2", "win-node-2"))?.status,
        201
    );
    for _ in 0..5 {
        assert_eq!(phase(&server, "c1")?, "Pending");
    }
    let pod = get(server.addr(), &format!("{PODS}/c1"))?.json()?;
    let waiting = &pod["status"]["containerStatuses"][0]["state"]["waiting"];
    assert_eq!(waiting["reason"], "ImagePullBackOff");
    assert_eq!(
        waiting["message"],
        "Back-off pulling image \"example/collector:1\""
    );
    let log = get(server.addr(), &format!("{PODS}/c1/log"))?;
    assert_eq!(log.status, 400);
    assert_eq!(
        log.json()?["message"],
        "container \"collect\" in pod \"c1\" is waiting to start: trying and failing to pull image"
    );
    let log = get(server.addr(), &format!("{PODS}/c2/log"))?;
    assert_eq!(
        log.json()?["message"],
        "container \"collect\" in pod \"c2\" is waiting to start: ContainerCreating"
    );
    Ok(())
}

#[test]
fn collector_rejected_by_pod_security() -> anyhow::Result<()> {
    let server = start(
        ServerOptions::new()
            .collector("win-node-1", CollectorBehaviour::rejected_by_pod_security()),
    )?;
    let refused = post(server.addr(), PODS, &collector("c1", "win-node-1"))?;
    assert_eq!(refused.status, 403);
    assert_eq!(
        refused.text(),
        r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"c1\" is forbidden: violates PodSecurity \"baseline:latest\": host namespaces (hostNetwork=true), hostProcess (pod must not set securityContext.windowsOptions.hostProcess=true)","reason":"Forbidden","details":{"name":"c1","kind":"pods"},"code":403}"#
    );
    assert_eq!(get(server.addr(), &format!("{PODS}/c1"))?.status, 404);
    // Other nodes admit theirs.
    assert_eq!(
        post(server.addr(), PODS, &collector("c2", "win-node-2"))?.status,
        201
    );
    Ok(())
}

#[test]
fn collector_fails_with_termination_message() -> anyhow::Result<()> {
    let server = start(
        ServerOptions::new()
            .pod_clock(PodClock::Manual)
            .pod_steps(2, 1)
            .collector(
                "win-node-1",
                CollectorBehaviour::fails("partial\n", "Get-HnsNetwork: access denied", 3),
            ),
    )?;
    assert_eq!(
        post(server.addr(), PODS, &collector("c1", "win-node-1"))?.status,
        201
    );
    // The test moves the clock.
    for _ in 0..3 {
        assert_eq!(phase(&server, "c1")?, "Pending");
    }
    server.advance_pods(2);
    assert_eq!(phase(&server, "c1")?, "Running");
    assert_eq!(
        get(server.addr(), &format!("{PODS}/c1/log"))?.text(),
        "partial\n"
    );
    server.advance_pods(1);
    let pod = get(server.addr(), &format!("{PODS}/c1"))?.json()?;
    assert_eq!(pod["status"]["phase"], "Failed");
    let terminated = &pod["status"]["containerStatuses"][0]["state"]["terminated"];
    assert_eq!(terminated["reason"], "Error");
    assert_eq!(terminated["exitCode"], 3);
    assert_eq!(terminated["message"], "Get-HnsNetwork: access denied");
    // Behaviours can change while serving; pods already created keep theirs.
    server.set_collector("win-node-1", CollectorBehaviour::runs("ok"));
    assert_eq!(
        post(server.addr(), PODS, &collector("c2", "win-node-1"))?.status,
        201
    );
    server.advance_pods(3);
    assert_eq!(phase(&server, "c2")?, "Succeeded");
    assert_eq!(phase(&server, "c1")?, "Failed");
    Ok(())
}

#[test]
fn create_validation() -> anyhow::Result<()> {
    let server = start(ServerOptions::new())?;
    let raw = common::request(server.addr(), "POST", PODS, &[], b"{not json")?;
    assert_eq!(raw.status, 400);
    let wrong_kind = post(
        server.addr(),
        PODS,
        &json!({"kind": "Node", "metadata": {"name": "x"}}),
    )?;
    assert_eq!(wrong_kind.status, 400);
    let mut other_ns = collector("x", "win-node-1");
    other_ns["metadata"]["namespace"] = json!("kube-system");
    let mismatch = post(server.addr(), PODS, &other_ns)?;
    assert_eq!(mismatch.status, 400);
    assert_eq!(
        mismatch.json()?["message"],
        "the namespace of the provided object does not match the namespace sent on the request"
    );
    let absent = post(
        server.addr(),
        "/api/v1/namespaces/nope/pods",
        &collector("x", "win-node-1"),
    )?;
    assert_eq!(absent.status, 404);
    assert_eq!(absent.json()?["message"], "namespaces \"nope\" not found");
    let empty = post(
        server.addr(),
        PODS,
        &json!({"metadata": {"name": "x"}, "spec": {}}),
    )?;
    assert_eq!(empty.status, 422);
    assert_eq!(empty.json()?["reason"], "Invalid");
    let mut generated = collector("", "win-node-1");
    generated["metadata"]["generateName"] = json!("collect-");
    let made = post(server.addr(), PODS, &generated)?.json()?;
    assert!(made["metadata"]["name"]
        .as_str()
        .is_some_and(|n| n.starts_with("collect-") && n.len() == 13));
    // Writes elsewhere are refused; injected failures apply to writes too.
    let cluster = post(server.addr(), "/api/v1/pods", &collector("y", "win-node-1"))?;
    assert_eq!(cluster.status, 405);
    drop(server);
    let server = start(ServerOptions::new().forbid("pods"))?;
    let forbidden = post(server.addr(), PODS, &collector("x", "win-node-1"))?;
    assert_eq!(forbidden.status, 403);
    assert_eq!(
        forbidden.json()?["message"],
        "pods is forbidden: User \"system:serviceaccount:default:windoctor\" cannot create resource \"pods\" in API group \"\" in the namespace \"default\""
    );
    Ok(())
}

#[tokio::test]
async fn kube_rs_creates_polls_reads_and_deletes() -> anyhow::Result<()> {
    use k8s_openapi::api::core::v1::Pod;
    use kube::api::{Api, DeleteParams, ListParams, LogParams, PostParams};
    use kube::config::{KubeConfigOptions, Kubeconfig};

    let data = ClusterData::from_bundle_dir(bundle_dir())?;
    let options = ServerOptions::new()
        .require_token(true)
        .collector("win-node-1", CollectorBehaviour::runs("tar-part"));
    let server = FakeApiServer::start(data, options).await?;
    let dir = tempfile::tempdir()?;
    let path = server.write_kubeconfig(dir.path())?;
    let config = kube::Config::from_custom_kubeconfig(
        Kubeconfig::read_from(&path)?,
        &KubeConfigOptions::default(),
    )
    .await?;
    let client = kube::Client::try_from(config)?;
    let pods: Api<Pod> = Api::namespaced(client, "default");
    let pod: Pod = serde_json::from_value(collector("collect-1", "win-node-1"))?;
    let created = pods.create(&PostParams::default(), &pod).await?;
    assert!(created.metadata.uid.is_some());
    let mut phases = Vec::new();
    for _ in 0..10 {
        let pod = pods.get("collect-1").await?;
        let phase = pod.status.and_then(|s| s.phase).unwrap_or_default();
        phases.push(phase.clone());
        if phase == "Succeeded" {
            break;
        }
    }
    assert_eq!(phases.last().map(String::as_str), Some("Succeeded"));
    assert_eq!(
        pods.logs("collect-1", &LogParams::default()).await?,
        "tar-part"
    );
    let listed = pods
        .list(&ListParams::default().labels("app.kubernetes.io/name=windoctor-collector"))
        .await?;
    assert_eq!(listed.items.len(), 1);
    let again = pods.create(&PostParams::default(), &pod).await;
    assert!(
        matches!(again, Err(kube::Error::Api(s)) if s.code == 409 && s.reason == "AlreadyExists")
    );
    pods.delete("collect-1", &DeleteParams::default()).await?;
    assert!(matches!(pods.get("collect-1").await, Err(kube::Error::Api(s)) if s.code == 404));
    server.shutdown().await;
    Ok(())
}
