//! Drives the fake API server with kube-rs, the client windoctor's live
//! source uses: the written kubeconfig loads (dummy CA, token user), typed
//! lists page through continue tokens, typed gets work, and Status errors
//! surface as `kube::Error::Api` with the server's code and reason.

mod common;

use std::time::Duration;

use common::bundle_dir;
use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::{ConfigMap, Event, Node, Pod, Service};
use k8s_openapi::api::node::v1::RuntimeClass;
use kube::api::{Api, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use windoctor_testkit::{ClusterData, FakeApiServer, ServerOptions};

async fn client_for(server: &FakeApiServer, dir: &std::path::Path) -> anyhow::Result<Client> {
    let path = server.write_kubeconfig(dir)?;
    let kubeconfig = Kubeconfig::read_from(&path)?;
    let mut config =
        Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default()).await?;
    config.read_timeout = Some(Duration::from_secs(2));
    Ok(Client::try_from(config)?)
}

/// Lists everything with `limit`, following continue tokens; returns the
/// names and the number of pages.
async fn list_all<K>(api: &Api<K>, limit: u32) -> anyhow::Result<(Vec<String>, usize)>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let mut params = ListParams::default().limit(limit);
    let mut names = Vec::new();
    for pages in 1..1000 {
        let page = api.list(&params).await?;
        names.extend(
            page.items
                .iter()
                .map(|o| o.meta().name.clone().unwrap_or_default()),
        );
        match page.metadata.continue_.filter(|t| !t.is_empty()) {
            Some(token) => params = params.continue_token(&token),
            None => return Ok((names, pages)),
        }
    }
    anyhow::bail!("pagination did not end")
}

#[tokio::test]
async fn kube_rs_reads_every_kind() -> anyhow::Result<()> {
    let data = ClusterData::from_bundle_dir(bundle_dir())?;
    let server = FakeApiServer::start(data, ServerOptions::new().require_token(true)).await?;
    let dir = tempfile::tempdir()?;
    let client = client_for(&server, dir.path()).await?;

    let version = client.apiserver_version().await?;
    assert_eq!(version.git_version, "v1.32.2");

    let (pods, pages) = list_all(&Api::<Pod>::all(client.clone()), 2).await?;
    assert_eq!(pods.len(), 7);
    assert_eq!(pages, 4);
    let (nodes, _) = list_all(&Api::<Node>::all(client.clone()), 500).await?;
    assert_eq!(nodes, ["linux-cp-1", "win-node-1", "win-node-2"]);
    let (events, _) = list_all(&Api::<Event>::all(client.clone()), 3).await?;
    assert_eq!(events.len(), 4);
    let (services, _) = list_all(&Api::<Service>::all(client.clone()), 500).await?;
    assert_eq!(services, ["web"]);
    let (configmaps, _) = list_all(
        &Api::<ConfigMap>::namespaced(client.clone(), "kube-system"),
        1,
    )
    .await?;
    assert_eq!(configmaps, ["calico-config", "kube-proxy-windows"]);
    let (daemonsets, _) = list_all(&Api::<DaemonSet>::all(client.clone()), 500).await?;
    assert_eq!(daemonsets.len(), 2);
    let (runtimeclasses, _) = list_all(&Api::<RuntimeClass>::all(client.clone()), 500).await?;
    assert_eq!(runtimeclasses, ["windows-2022"]);

    let selected = Api::<Pod>::all(client.clone())
        .list(
            &ListParams::default()
                .labels("app=web")
                .fields("status.phase=Running"),
        )
        .await?;
    assert_eq!(selected.items.len(), 1);

    let node = Api::<Node>::all(client.clone()).get("win-node-2").await?;
    assert_eq!(node.spec.and_then(|s| s.unschedulable), Some(true));
    let pod = Api::<Pod>::namespaced(client.clone(), "default")
        .get("web-0")
        .await?;
    assert_eq!(pod.status.and_then(|s| s.phase).as_deref(), Some("Running"));
    let log = Api::<Pod>::namespaced(client.clone(), "default")
        .logs("web-0", &kube::api::LogParams::default())
        .await?;
    assert!(log.contains("Listening on :80"));

    // Metadata-only lists (Accept: ...;as=PartialObjectMetadataList) get
    // the full list, which kube-rs reads as metadata.
    let metadata = Api::<Pod>::all(client.clone())
        .list_metadata(&ListParams::default().limit(3))
        .await?;
    assert_eq!(metadata.items.len(), 3);
    assert_eq!(metadata.items[0].metadata.name.as_deref(), Some("db-0"));

    // Exactly one list of nodes was made.
    let node_lists = server
        .request_log()
        .iter()
        .filter(|r| r.path == "/api/v1/nodes")
        .count();
    assert_eq!(node_lists, 1);
    server.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn kube_rs_sees_status_errors() -> anyhow::Result<()> {
    let data = ClusterData::from_bundle_dir(bundle_dir())?;
    let options = ServerOptions::new()
        .forbid("events")
        .not_found("runtimeclasses")
        .status("configmaps", 500)
        .delay("services", Duration::from_secs(5));
    let server = FakeApiServer::start(data, options).await?;
    let dir = tempfile::tempdir()?;
    let client = client_for(&server, dir.path()).await?;

    let api_error = |result: Result<_, kube::Error>| match result {
        Err(kube::Error::Api(status)) => {
            Some((status.code, status.reason.clone(), status.message.clone()))
        }
        _ => None,
    };
    let forbidden = api_error(
        Api::<Event>::all(client.clone())
            .list(&ListParams::default())
            .await
            .map(|_| ()),
    );
    assert_eq!(
        forbidden,
        Some((
            403,
            "Forbidden".to_string(),
            "events is forbidden: User \"system:serviceaccount:default:windoctor\" cannot list resource \"events\" in API group \"\" at the cluster scope".to_string()
        ))
    );
    let absent = api_error(
        Api::<RuntimeClass>::all(client.clone())
            .list(&ListParams::default())
            .await
            .map(|_| ()),
    );
    assert_eq!(
        absent.map(|(code, reason, _)| (code, reason)),
        Some((404, "NotFound".to_string()))
    );
    let missing = api_error(
        Api::<Node>::all(client.clone())
            .get("ghost")
            .await
            .map(|_| ()),
    );
    assert_eq!(
        missing.map(|(code, _, message)| (code, message)),
        Some((404, "nodes \"ghost\" not found".to_string()))
    );
    let broken = api_error(
        Api::<ConfigMap>::all(client.clone())
            .list(&ListParams::default())
            .await
            .map(|_| ()),
    );
    assert_eq!(
        broken.map(|(code, reason, _)| (code, reason)),
        Some((500, "InternalError".to_string()))
    );
    // The injected delay outlasts the client's read timeout.
    let slow = Api::<Service>::all(client.clone())
        .list(&ListParams::default())
        .await;
    assert!(
        slow.is_err(),
        "a 5 s delay should trip the 2 s read timeout"
    );
    server.shutdown().await;
    Ok(())
}
